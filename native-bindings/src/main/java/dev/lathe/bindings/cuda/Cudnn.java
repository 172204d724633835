package dev.lathe.bindings.cuda;

import static dev.lathe.bindings.cuda.LazyFunctions.I32;
import static dev.lathe.bindings.cuda.LazyFunctions.I64;
import static dev.lathe.bindings.cuda.LazyFunctions.PTR;
import static dev.lathe.bindings.cuda.LazyFunctions.SIZE_T;
import static dev.lathe.bindings.cuda.LazyFunctions.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;

/**
 * cuDNN 9 (libcudnn): the handle and the backend graph API. A graph is built from backend descriptors
 * ({@link CudnnDescriptor} wraps one), its attribute names and types in {@link CudnnBackend}. Every
 * non-success {@code cudnnStatus_t} is a {@link CudnnException} with cuDNN's message for it.
 */
public final class Cudnn {
    private static final Cudnn INSTANCE = new Cudnn();
    private final LazyFunctions fns = new LazyFunctions(CudaLibrary.CUDNN);

    private Cudnn() {}

    public static Cudnn get() {
        return INSTANCE;
    }

    // size_t cudnnGetVersion(void);  — MAJOR * 10000 + MINOR * 100 + PATCH (cuDNN 9)
    public long version() {
        try {
            return (long) fns.get("cudnnGetVersion", FunctionDescriptor.of(SIZE_T)).invoke();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // cudnnStatus_t cudnnCreate(cudnnHandle_t *handle);  — needs a GPU and a current context
    public MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(PTR);
            call("cudnnCreate", FunctionDescriptor.of(I32, PTR), out);
            return out.get(PTR, 0);
        }
    }

    // cudnnStatus_t cudnnDestroy(cudnnHandle_t handle);
    public void destroy(MemorySegment handle) {
        call("cudnnDestroy", FunctionDescriptor.of(I32, PTR), handle);
    }

    // cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId);
    public void setStream(MemorySegment handle, MemorySegment stream) {
        call("cudnnSetStream", FunctionDescriptor.of(I32, PTR, PTR), handle, stream);
    }

    // cudnnStatus_t cudnnBackendCreateDescriptor(cudnnBackendDescriptorType_t descriptorType,
    //                                            cudnnBackendDescriptor_t *descriptor);
    public MemorySegment backendCreateDescriptor(int descriptorType) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(PTR);
            call("cudnnBackendCreateDescriptor", FunctionDescriptor.of(I32, I32, PTR), descriptorType, out);
            return out.get(PTR, 0);
        }
    }

    // cudnnStatus_t cudnnBackendSetAttribute(cudnnBackendDescriptor_t descriptor,
    //     cudnnBackendAttributeName_t attributeName, cudnnBackendAttributeType_t attributeType,
    //     int64_t elementCount, const void *arrayOfElements);
    public void backendSetAttribute(MemorySegment descriptor, int name, int type, long count, MemorySegment elements) {
        call("cudnnBackendSetAttribute", FunctionDescriptor.of(I32, PTR, I32, I32, I64, PTR),
                descriptor, name, type, count, elements);
    }

    // cudnnStatus_t cudnnBackendGetAttribute(cudnnBackendDescriptor_t const descriptor,
    //     cudnnBackendAttributeName_t attributeName, cudnnBackendAttributeType_t attributeType,
    //     int64_t requestedElementCount, int64_t *elementCount, void *arrayOfElements);
    // Returns the element count cuDNN reports.
    public long backendGetAttribute(MemorySegment descriptor, int name, int type, long requested, MemorySegment elements) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(I64);
            call("cudnnBackendGetAttribute", FunctionDescriptor.of(I32, PTR, I32, I32, I64, PTR, PTR),
                    descriptor, name, type, requested, count, elements);
            return count.get(I64, 0);
        }
    }

    // cudnnStatus_t cudnnBackendFinalize(cudnnBackendDescriptor_t descriptor);
    public void backendFinalize(MemorySegment descriptor) {
        call("cudnnBackendFinalize", FunctionDescriptor.of(I32, PTR), descriptor);
    }

    // cudnnStatus_t cudnnBackendExecute(cudnnHandle_t handle, cudnnBackendDescriptor_t executionPlan,
    //                                   cudnnBackendDescriptor_t variantPack);
    public void backendExecute(MemorySegment handle, MemorySegment executionPlan, MemorySegment variantPack) {
        call("cudnnBackendExecute", FunctionDescriptor.of(I32, PTR, PTR, PTR), handle, executionPlan, variantPack);
    }

    // cudnnStatus_t cudnnBackendDestroyDescriptor(cudnnBackendDescriptor_t descriptor);
    public void backendDestroyDescriptor(MemorySegment descriptor) {
        call("cudnnBackendDestroyDescriptor", FunctionDescriptor.of(I32, PTR), descriptor);
    }

    // const char *cudnnGetErrorString(cudnnStatus_t status);
    public String errorString(int code) {
        try {
            MemorySegment s = (MemorySegment) fns.get("cudnnGetErrorString", FunctionDescriptor.of(PTR, I32)).invoke(code);
            return s.address() == 0 ? "" : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // void cudnnGetLastErrorString(char *message, size_t max_size);  — cuDNN's detail on the last failure
    private String lastErrorString() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocate(1024);
            fns.get("cudnnGetLastErrorString", FunctionDescriptor.ofVoid(PTR, SIZE_T)).invoke(text, 1024L);
            return text.getString(0);
        } catch (Throwable t) {
            return "";
        }
    }

    private void call(String symbol, FunctionDescriptor descriptor, Object... args) {
        int code;
        try {
            code = (int) fns.get(symbol, descriptor).invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (code == 0) return;
        String last = lastErrorString();
        throw new CudnnException(symbol, code, CudaStatus.name(CudaStatus.CUDNN, code),
                errorString(code) + (last.isBlank() ? "" : " — " + last));
    }
}
