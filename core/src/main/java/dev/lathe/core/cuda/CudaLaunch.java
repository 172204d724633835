package dev.lathe.core.cuda;

import dev.lathe.core.Tensor;

/**
 * Launching CUDA kernels of any module (core's and those of the modules above it, such as the fused
 * post-training kernels) on the CUDA backend's stream. A module named {@code NAME} is the fatbin
 * {@code cuda/NAME.fatbin} on the class path of {@code anchor}'s class loader, or, when that is missing or does
 * not fit the device, its source {@code cuda-src/NAME.cu} compiled by NVRTC.
 */
public final class CudaLaunch {
    private CudaLaunch() {}

    /** A kernel handle: module {@code module} (see above), function {@code function} ({@code extern "C"}). */
    public record Kernel(Class<?> anchor, String module, String function) {}

    /** True when {@link dev.lathe.core.Device#CUDA} tensors live on a real GPU (not an emulated device). */
    public static boolean active() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Device address of element 0 of {@code t} (a CUDA tensor). */
    public static long pointer(Tensor t) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The backend's stream ({@code cudaStream_t}), on which other libraries (NCCL) enqueue work in order with its kernels. */
    public static java.lang.foreign.MemorySegment stream() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /**
     * Launches {@code kernel} on the backend's stream. Arguments in the kernel's order: a {@link Tensor} is its
     * device pointer, null a null pointer, {@link Integer} an {@code int}, {@link Long} a {@code long long},
     * {@link Float} a {@code float}, {@link Double} a {@code double}.
     */
    public static void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                              Object... args) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
