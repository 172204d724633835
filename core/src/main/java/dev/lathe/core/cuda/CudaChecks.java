package dev.lathe.core.cuda;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;

/**
 * The CUDA backend's own argument check: every tensor on the device. The device-independent rules are
 * {@link dev.lathe.core.backend.BackendChecks}'. Null is skipped.
 */
final class CudaChecks {
    private CudaChecks() {}

    static void onDevice(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.device() != Device.CUDA) {
                throw new IllegalArgumentException("a " + t.device() + " tensor passed to the cuda backend: " + t);
            }
        }
    }
}
