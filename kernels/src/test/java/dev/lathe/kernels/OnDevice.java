package dev.lathe.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.EmulatedDeviceBackend;

/** Test plumbing for the device paths: the emulated device, and gradients seen where they enter a leaf. */
final class OnDevice {
    private OnDevice() {}

    /** Runs {@code body} with {@link EmulatedDeviceBackend} behind Device.CUDA, restoring the previous backend. */
    static void emulated(Runnable body) {
        Backend previous = Backends.install(new EmulatedDeviceBackend());
        try {
            body.run();
        } finally {
            Backends.install(previous);
        }
    }

    /** A float32 tensor of {@code values} on the device. */
    static Tensor tensor(float[] values, int... shape) {
        try (Tensor host = Tensor.of(values, shape)) {
            return host.to(Device.CUDA);
        }
    }

    static Tensor ints(int[] values) {
        try (Tensor host = Tensor.ofInts(values)) {
            return host.to(Device.CUDA);
        }
    }

    /** The gradient an op hands to one of its inputs, as it arrived (device and values). */
    static final class Probe {
        Device device;
        float[] values;

        /** Identity on {@code leaf}'s values whose backward records the incoming gradient and passes it on. */
        Tensor watch(Tensor leaf) {
            return Node.record(leaf.detach(), "probe", (g, needs) -> {
                device = g.device();
                values = g.toFloatArray();
                return new Tensor[] {g};
            }, leaf);
        }

        float[] onDevice() {
            assertEquals(Device.CUDA, device, "gradient device");
            return values;
        }
    }

    static void assertOnDevice(Tensor... tensors) {
        for (Tensor t : tensors) assertEquals(Device.CUDA, t.device(), "device of " + t);
    }
}
