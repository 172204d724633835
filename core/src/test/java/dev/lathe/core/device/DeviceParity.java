package dev.lathe.core.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.EmulatedDeviceBackend;
import java.util.function.Supplier;

/** Runs code with the {@link EmulatedDeviceBackend} behind {@link Device#CUDA} and compares results bit for bit. */
public final class DeviceParity {
    private DeviceParity() {}

    /** Runs {@code body} with a fresh emulated device installed (the previous backend restored after) and checks it freed every byte it allocated. */
    public static <T> T onEmulatedDevice(Supplier<T> body) {
        EmulatedDeviceBackend device = new EmulatedDeviceBackend();
        return onDevice(device, device, body);
    }

    /**
     * Runs {@code body} with {@code backend} behind {@link Device#CUDA} (the previous backend restored after) and
     * checks that {@code memory}, the emulated device whose memory it allocates, freed every byte.
     */
    public static <T> T onDevice(Backend backend, EmulatedDeviceBackend memory, Supplier<T> body) {
        Backend previous = Backends.install(backend);
        try {
            T result = body.get();
            assertEquals(0, memory.liveBytes(), "device bytes left allocated");
            return result;
        } finally {
            Backends.install(previous);
        }
    }

    /** Same bits, element by element. */
    public static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        int[] e = new int[expected.length], a = new int[actual.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = Float.floatToRawIntBits(expected[i]);
            a[i] = Float.floatToRawIntBits(actual[i]);
        }
        assertArrayEquals(e, a, what + ": bits differ");
    }

    public static void assertSameBits(Tensor expected, Tensor actual, String what) {
        assertSameBits(expected.toFloatArray(), actual.toFloatArray(), what);
    }
}
