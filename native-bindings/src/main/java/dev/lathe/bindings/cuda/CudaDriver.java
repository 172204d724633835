package dev.lathe.bindings.cuda;

import static dev.lathe.bindings.cuda.LazyFunctions.F32;
import static dev.lathe.bindings.cuda.LazyFunctions.I32;
import static dev.lathe.bindings.cuda.LazyFunctions.I64;
import static dev.lathe.bindings.cuda.LazyFunctions.PTR;
import static dev.lathe.bindings.cuda.LazyFunctions.SIZE_T;
import static dev.lathe.bindings.cuda.LazyFunctions.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CUDA driver API (libcuda), one method per C function. Device pointers ({@code CUdeviceptr}) are
 * {@code long}s; opaque handles ({@code CUcontext}, {@code CUstream}, {@code CUevent}, {@code CUmodule},
 * {@code CUfunction}) are {@link MemorySegment} addresses, {@link MemorySegment#NULL} for the default stream.
 * Symbols are the versioned ones cuda.h maps the plain names to (e.g. {@code cuMemAlloc} → {@code cuMemAlloc_v2}).
 * Every non-zero {@code CUresult} is a {@link CudaDriverException}. Nothing is loaded before the first call.
 */
public final class CudaDriver {
    /** CUdevice_attribute values (cuda.h). */
    public static final int ATTR_MAX_THREADS_PER_BLOCK = 1, ATTR_MULTIPROCESSOR_COUNT = 16,
            ATTR_COMPUTE_CAPABILITY_MAJOR = 75, ATTR_COMPUTE_CAPABILITY_MINOR = 76,
            ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    /** CUstream_flags and CUevent_flags (cuda.h). */
    public static final int STREAM_DEFAULT = 0, STREAM_NON_BLOCKING = 1, EVENT_DEFAULT = 0, EVENT_DISABLE_TIMING = 2;

    private static final CudaDriver INSTANCE = new CudaDriver();
    private final LazyFunctions fns = new LazyFunctions(CudaLibrary.DRIVER);

    private CudaDriver() {}

    /** The driver bindings (libcuda is located and opened on the first call through them). */
    public static CudaDriver get() {
        return INSTANCE;
    }

    // CUresult cuInit(unsigned int Flags);
    public void init(int flags) {
        call("cuInit", FunctionDescriptor.of(I32, I32), flags);
    }

    // CUresult cuDriverGetVersion(int *driverVersion);  — 1000 * major + 10 * minor
    public int driverVersion() {
        return intOut("cuDriverGetVersion", FunctionDescriptor.of(I32, PTR));
    }

    // CUresult cuDeviceGetCount(int *count);
    public int deviceCount() {
        return intOut("cuDeviceGetCount", FunctionDescriptor.of(I32, PTR));
    }

    // CUresult cuDeviceGet(CUdevice *device, int ordinal);
    public int device(int ordinal) {
        return intOut("cuDeviceGet", FunctionDescriptor.of(I32, PTR, I32), ordinal);
    }

    // CUresult cuDeviceGetName(char *name, int len, CUdevice dev);
    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            call("cuDeviceGetName", FunctionDescriptor.of(I32, PTR, I32, I32), name, 256, device);
            return name.getString(0);
        }
    }

    // CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev);
    public int deviceAttribute(int attribute, int device) {
        return intOut("cuDeviceGetAttribute", FunctionDescriptor.of(I32, PTR, I32, I32), attribute, device);
    }

    // CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev);
    public long deviceTotalMem(int device) {
        return longOut("cuDeviceTotalMem_v2", FunctionDescriptor.of(I32, PTR, I32), device);
    }

    // CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev);
    public MemorySegment primaryContextRetain(int device) {
        return pointerOut("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(I32, PTR, I32), device);
    }

    // CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
    public void primaryContextRelease(int device) {
        call("cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(I32, I32), device);
    }

    // CUresult cuCtxSetCurrent(CUcontext ctx);
    public void contextSetCurrent(MemorySegment context) {
        call("cuCtxSetCurrent", FunctionDescriptor.of(I32, PTR), context);
    }

    // CUresult cuCtxSynchronize(void);
    public void contextSynchronize() {
        call("cuCtxSynchronize", FunctionDescriptor.of(I32));
    }

    // CUresult cuMemGetInfo_v2(size_t *free, size_t *total);  — returns {free, total}
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(SIZE_T), total = a.allocate(SIZE_T);
            call("cuMemGetInfo_v2", FunctionDescriptor.of(I32, PTR, PTR), free, total);
            return new long[] {free.get(SIZE_T, 0), total.get(SIZE_T, 0)};
        }
    }

    // CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
    public long memAlloc(long bytes) {
        return longOut("cuMemAlloc_v2", FunctionDescriptor.of(I32, PTR, SIZE_T), bytes);
    }

    // CUresult cuMemFree_v2(CUdeviceptr dptr);
    public void memFree(long devicePointer) {
        call("cuMemFree_v2", FunctionDescriptor.of(I32, I64), devicePointer);
    }

    // CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount);
    public void memcpyHtoD(long dst, MemorySegment src, long bytes) {
        call("cuMemcpyHtoD_v2", FunctionDescriptor.of(I32, I64, PTR, SIZE_T), dst, src, bytes);
    }

    // CUresult cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount);
    public void memcpyDtoH(MemorySegment dst, long src, long bytes) {
        call("cuMemcpyDtoH_v2", FunctionDescriptor.of(I32, PTR, I64, SIZE_T), dst, src, bytes);
    }

    // CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount);
    public void memcpyDtoD(long dst, long src, long bytes) {
        call("cuMemcpyDtoD_v2", FunctionDescriptor.of(I32, I64, I64, SIZE_T), dst, src, bytes);
    }

    // CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount, CUstream hStream);
    public void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        call("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(I32, I64, PTR, SIZE_T, PTR), dst, src, bytes, stream);
    }

    // CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
    public void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        call("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(I32, PTR, I64, SIZE_T, PTR), dst, src, bytes, stream);
    }

    // CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
    public void memcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        call("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(I32, I64, I64, SIZE_T, PTR), dst, src, bytes, stream);
    }

    // CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N);
    public void memsetD8(long dst, byte value, long count) {
        call("cuMemsetD8_v2", FunctionDescriptor.of(I32, I64, ValueLayout.JAVA_BYTE, SIZE_T), dst, value, count);
    }

    // CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N);
    public void memsetD32(long dst, int value, long count) {
        call("cuMemsetD32_v2", FunctionDescriptor.of(I32, I64, I32, SIZE_T), dst, value, count);
    }

    // CUresult cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream);
    public void memsetD8Async(long dst, byte value, long count, MemorySegment stream) {
        call("cuMemsetD8Async", FunctionDescriptor.of(I32, I64, ValueLayout.JAVA_BYTE, SIZE_T, PTR), dst, value, count, stream);
    }

    // CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags);
    public MemorySegment streamCreate(int flags) {
        return pointerOut("cuStreamCreate", FunctionDescriptor.of(I32, PTR, I32), flags);
    }

    // CUresult cuStreamSynchronize(CUstream hStream);
    public void streamSynchronize(MemorySegment stream) {
        call("cuStreamSynchronize", FunctionDescriptor.of(I32, PTR), stream);
    }

    // CUresult cuStreamDestroy_v2(CUstream hStream);
    public void streamDestroy(MemorySegment stream) {
        call("cuStreamDestroy_v2", FunctionDescriptor.of(I32, PTR), stream);
    }

    // CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags);
    public MemorySegment eventCreate(int flags) {
        return pointerOut("cuEventCreate", FunctionDescriptor.of(I32, PTR, I32), flags);
    }

    // CUresult cuEventRecord(CUevent hEvent, CUstream hStream);
    public void eventRecord(MemorySegment event, MemorySegment stream) {
        call("cuEventRecord", FunctionDescriptor.of(I32, PTR, PTR), event, stream);
    }

    // CUresult cuEventSynchronize(CUevent hEvent);
    public void eventSynchronize(MemorySegment event) {
        call("cuEventSynchronize", FunctionDescriptor.of(I32, PTR), event);
    }

    // CUresult cuEventElapsedTime(float *pMilliseconds, CUevent hStart, CUevent hEnd);
    public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(F32);
            call("cuEventElapsedTime", FunctionDescriptor.of(I32, PTR, PTR, PTR), ms, start, end);
            return ms.get(F32, 0);
        }
    }

    // CUresult cuEventDestroy_v2(CUevent hEvent);
    public void eventDestroy(MemorySegment event) {
        call("cuEventDestroy_v2", FunctionDescriptor.of(I32, PTR), event);
    }

    // CUresult cuModuleLoadData(CUmodule *module, const void *image);  — a fatbin, cubin or NUL-terminated PTX
    public MemorySegment moduleLoadData(MemorySegment image) {
        return pointerOut("cuModuleLoadData", FunctionDescriptor.of(I32, PTR, PTR), image);
    }

    // CUresult cuModuleUnload(CUmodule hmod);
    public void moduleUnload(MemorySegment module) {
        call("cuModuleUnload", FunctionDescriptor.of(I32, PTR), module);
    }

    // CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name);
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            return pointerOut("cuModuleGetFunction", FunctionDescriptor.of(I32, PTR, PTR, PTR), module, a.allocateFrom(name));
        }
    }

    // CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
    //                         unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
    //                         unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra);
    public void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                             int sharedMemBytes, MemorySegment stream, KernelArgs args) {
        call("cuLaunchKernel", FunctionDescriptor.of(I32, PTR, I32, I32, I32, I32, I32, I32, I32, PTR, PTR, PTR),
                function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedMemBytes, stream, args.pointers(),
                MemorySegment.NULL);
    }

    // CUresult cuGetErrorName(CUresult error, const char **pStr);
    public String errorName(int code) {
        return errorText("cuGetErrorName", code);
    }

    // CUresult cuGetErrorString(CUresult error, const char **pStr);
    public String errorString(int code) {
        return errorText("cuGetErrorString", code);
    }

    private String errorText(String symbol, int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(PTR);
            int rc = (int) fns.get(symbol, FunctionDescriptor.of(I32, I32, PTR)).invoke(code, out);
            MemorySegment text = out.get(PTR, 0);
            if (rc != 0 || text.address() == 0) return null;
            return text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Throws the {@link CudaDriverException} for a non-zero {@code code} returned by {@code function}. */
    void check(String function, int code) {
        if (code == 0) return;
        String name = null, message = null;
        try {
            name = errorName(code);
            message = errorString(code);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            // The library cannot describe the code: the built-in table names it.
        }
        throw new CudaDriverException(function, code, name != null ? name : CudaStatus.name(CudaStatus.DRIVER, code), message);
    }

    private void call(String symbol, FunctionDescriptor descriptor, Object... args) {
        int code;
        try {
            code = (int) fns.get(symbol, descriptor).invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(symbol, code);
    }

    private int intOut(String symbol, FunctionDescriptor descriptor, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(I32);
            call(symbol, descriptor, prepend(out, rest));
            return out.get(I32, 0);
        }
    }

    private long longOut(String symbol, FunctionDescriptor descriptor, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(I64);
            call(symbol, descriptor, prepend(out, rest));
            return out.get(I64, 0);
        }
    }

    private MemorySegment pointerOut(String symbol, FunctionDescriptor descriptor, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(PTR);
            call(symbol, descriptor, prepend(out, rest));
            return out.get(PTR, 0);
        }
    }

    static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
