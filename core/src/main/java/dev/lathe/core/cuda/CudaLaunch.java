package dev.lathe.core.cuda;

import dev.lathe.bindings.cuda.KernelArgs;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.lang.foreign.Arena;

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
        return Backends.cudaUnavailableReason() == null && Backends.of(Device.CUDA) instanceof CudaBackend;
    }

    /** Device address of element 0 of {@code t} (a CUDA tensor). */
    public static long pointer(Tensor t) {
        if (t.device() != Device.CUDA) throw new IllegalArgumentException("a " + t.device() + " tensor where a CUDA one is due: " + t);
        if (t.isClosed()) throw new IllegalStateException("tensor used after close: " + t);
        return t.storage().segment().address() + t.offset() * t.dtype().bytes();
    }

    /**
     * The backend's stream ({@code cudaStream_t}), on which other libraries (NCCL) enqueue work in order with its
     * kernels. It also makes the backend's context current on the calling thread: libraries on the CUDA runtime
     * take their device from it (ncclCommInitRank on a thread without it would pick device 0, whatever
     * {@code LATHE_CUDA_DEVICE} says).
     */
    public static java.lang.foreign.MemorySegment stream() {
        return CudaBackend.get().stream();
    }

    /**
     * Launches {@code kernel} on the backend's stream. Arguments in the kernel's order: a {@link Tensor} is its
     * device pointer, null a null pointer, {@link Integer} an {@code int}, {@link Long} a {@code long long},
     * {@link Float} a {@code float}, {@link Double} a {@code double}. A grid with a zero dimension launches nothing.
     */
    public static void launch(Kernel kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                              Object... args) {
        CudaBackend.get().launch(kernel, gridX, gridY, gridZ, blockX, blockY, blockZ, args);
    }

    /** The {@code kernelParams} of {@code args} (see {@link #launch}), their slots in {@code arena}. */
    static KernelArgs pack(Arena arena, Object... args) {
        KernelArgs out = new KernelArgs(arena);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case null -> out.pointer(0L);
                case Tensor t -> out.pointer(pointer(t));
                case Integer v -> out.i32(v);
                case Long v -> out.i64(v);
                case Float v -> out.f32(v);
                case Double v -> out.f64(v);
                default -> throw new IllegalArgumentException("kernel argument " + i + " is a "
                        + args[i].getClass().getSimpleName() + " (expected Tensor, null, Integer, Long, Float or Double)");
            }
        }
        return out;
    }
}
