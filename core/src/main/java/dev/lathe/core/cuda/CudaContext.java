package dev.lathe.core.cuda;

import dev.lathe.bindings.cuda.Cublas;
import dev.lathe.bindings.cuda.CudaDriver;
import dev.lathe.bindings.cuda.CudaDriverException;
import java.lang.foreign.MemorySegment;

/**
 * The device the backend runs on: its primary context (made current lazily on each calling thread), the one
 * stream every kernel, copy and GEMM goes to, and a cuBLAS handle bound to that stream. The stream is created
 * with flags 0, so it is ordered with the legacy default stream that synchronous driver calls
 * ({@code cuMemcpyHtoD}, {@code cuMemFree}) use.
 */
final class CudaContext {
    /** Environment variable choosing the device ordinal (default 0). */
    static final String DEVICE_ENV = "LATHE_CUDA_DEVICE";
    private static final int OUT_OF_MEMORY = 2; // CUDA_ERROR_OUT_OF_MEMORY

    final CudaDriver cu = CudaDriver.get();
    final int ordinal, device, ccMajor, ccMinor;
    final String name;
    final long totalMemory;
    final MemorySegment context, stream, cublas;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);

    private CudaContext(int ordinal) {
        cu.init(0);
        this.ordinal = ordinal;
        this.device = cu.device(ordinal);
        this.name = cu.deviceName(device);
        this.ccMajor = cu.deviceAttribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MAJOR, device);
        this.ccMinor = cu.deviceAttribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MINOR, device);
        this.totalMemory = cu.deviceTotalMem(device);
        this.context = cu.primaryContextRetain(device);
        enter();
        this.stream = cu.streamCreate(CudaDriver.STREAM_DEFAULT);
        Cublas blas = Cublas.get();
        this.cublas = blas.create();
        blas.setStream(cublas, stream);
    }

    /** Opens the device named by {@value #DEVICE_ENV} (default 0). */
    static CudaContext open() {
        return new CudaContext(deviceOrdinal());
    }

    /** The ordinal {@value #DEVICE_ENV} asks for; a value that is not a number is an error naming it. */
    static int deviceOrdinal() {
        String v = System.getenv(DEVICE_ENV);
        if (v == null || v.isBlank()) return 0;
        try {
            int ordinal = Integer.parseInt(v.strip());
            if (ordinal < 0) throw new NumberFormatException();
            return ordinal;
        } catch (NumberFormatException e) {
            throw new IllegalStateException(DEVICE_ENV + "=" + v + " is not a device number");
        }
    }

    /** Makes the context current on the calling thread (once per thread). */
    void enter() {
        if (!current.get()) {
            cu.contextSetCurrent(context);
            current.set(true);
        }
    }

    /** Waits until every queued operation on the stream has finished. */
    void synchronize() {
        enter();
        cu.streamSynchronize(stream);
    }

    /** The caching allocator's raw calls on this device. */
    CudaAllocator.DeviceMemory deviceMemory() {
        return new CudaAllocator.DeviceMemory() {
            @Override
            public long allocate(long bytes) {
                enter();
                try {
                    return cu.memAlloc(bytes);
                } catch (CudaDriverException e) {
                    if (e.code() == OUT_OF_MEMORY) return 0;
                    throw e;
                }
            }

            @Override
            public void free(long pointer) {
                enter();
                cu.memFree(pointer);
            }

            @Override
            public void synchronize() {
                CudaContext.this.synchronize();
            }
        };
    }
}
