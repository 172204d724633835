package dev.lathe.bindings.cuda;

import static dev.lathe.bindings.cuda.LazyFunctions.F32;
import static dev.lathe.bindings.cuda.LazyFunctions.I32;
import static dev.lathe.bindings.cuda.LazyFunctions.I64;
import static dev.lathe.bindings.cuda.LazyFunctions.PTR;
import static dev.lathe.bindings.cuda.LazyFunctions.rethrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;

/**
 * cuBLAS (libcublas, the v2 API): handles, streams, math mode and the mixed-precision GEMMs. cuBLAS is
 * column-major: a row-major {@code C[M,N] = A[M,K] · B[K,N]} is the column-major {@code Cᵀ = Bᵀ · Aᵀ}, i.e. call
 * with (m, n) = (N, M), A and B swapped. Scalars (alpha, beta) are passed from the host as floats, which is what
 * every compute type below except 64F/16F takes. Every non-success {@code cublasStatus_t} is a {@link CublasException}.
 */
public final class Cublas {
    /** cublasOperation_t. */
    public static final int OP_N = 0, OP_T = 1, OP_C = 2;
    /** cublasMath_t. */
    public static final int DEFAULT_MATH = 0, TENSOR_OP_MATH = 1, PEDANTIC_MATH = 2, TF32_TENSOR_OP_MATH = 3;
    /** cublasComputeType_t. */
    public static final int COMPUTE_16F = 64, COMPUTE_32F = 68, COMPUTE_32F_PEDANTIC = 69, COMPUTE_64F = 70,
            COMPUTE_32I = 72, COMPUTE_32F_FAST_16F = 74, COMPUTE_32F_FAST_16BF = 75, COMPUTE_32F_FAST_TF32 = 77;
    /** cudaDataType (library_types.h). */
    public static final int R_32F = 0, R_64F = 1, R_16F = 2, R_8I = 3, R_32I = 10, R_16BF = 14;
    /** cublasGemmAlgo_t: the library's own choice. */
    public static final int GEMM_DEFAULT = -1;

    private static final Cublas INSTANCE = new Cublas();
    private final LazyFunctions fns = new LazyFunctions(CudaLibrary.CUBLAS);

    private Cublas() {}

    public static Cublas get() {
        return INSTANCE;
    }

    // cublasStatus_t cublasCreate_v2(cublasHandle_t *handle);
    public MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(PTR);
            call("cublasCreate_v2", FunctionDescriptor.of(I32, PTR), out);
            return out.get(PTR, 0);
        }
    }

    // cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
    public void destroy(MemorySegment handle) {
        call("cublasDestroy_v2", FunctionDescriptor.of(I32, PTR), handle);
    }

    // cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version);
    public int version(MemorySegment handle) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(I32);
            call("cublasGetVersion_v2", FunctionDescriptor.of(I32, PTR, PTR), handle, out);
            return out.get(I32, 0);
        }
    }

    // cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId);
    public void setStream(MemorySegment handle, MemorySegment stream) {
        call("cublasSetStream_v2", FunctionDescriptor.of(I32, PTR, PTR), handle, stream);
    }

    // cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
    public void setMathMode(MemorySegment handle, int mode) {
        call("cublasSetMathMode", FunctionDescriptor.of(I32, PTR, I32), handle, mode);
    }

    // cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    //     int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda,
    //     const void *B, cudaDataType Btype, int ldb, const void *beta, void *C, cudaDataType Ctype, int ldc,
    //     cublasComputeType_t computeType, cublasGemmAlgo_t algo);
    public void gemmEx(MemorySegment handle, int transA, int transB, int m, int n, int k, float alpha,
                       long a, int aType, int lda, long b, int bType, int ldb, float beta,
                       long c, int cType, int ldc, int computeType) {
        try (Arena arena = Arena.ofConfined()) {
            call("cublasGemmEx", FunctionDescriptor.of(I32, PTR, I32, I32, I32, I32, I32, PTR, I64, I32, I32, I64, I32,
                            I32, PTR, I64, I32, I32, I32, I32),
                    handle, transA, transB, m, n, k, arena.allocateFrom(F32, alpha), a, aType, lda, b, bType, ldb,
                    arena.allocateFrom(F32, beta), c, cType, ldc, computeType, GEMM_DEFAULT);
        }
    }

    // cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa,
    //     cublasOperation_t transb, int m, int n, int k, const void *alpha,
    //     const void *A, cudaDataType Atype, int lda, long long int strideA,
    //     const void *B, cudaDataType Btype, int ldb, long long int strideB, const void *beta,
    //     void *C, cudaDataType Ctype, int ldc, long long int strideC, int batchCount,
    //     cublasComputeType_t computeType, cublasGemmAlgo_t algo);
    public void gemmStridedBatchedEx(MemorySegment handle, int transA, int transB, int m, int n, int k, float alpha,
                                     long a, int aType, int lda, long strideA, long b, int bType, int ldb, long strideB,
                                     float beta, long c, int cType, int ldc, long strideC, int batchCount,
                                     int computeType) {
        try (Arena arena = Arena.ofConfined()) {
            call("cublasGemmStridedBatchedEx", FunctionDescriptor.of(I32, PTR, I32, I32, I32, I32, I32, PTR,
                            I64, I32, I32, I64, I64, I32, I32, I64, PTR, I64, I32, I32, I64, I32, I32, I32),
                    handle, transA, transB, m, n, k, arena.allocateFrom(F32, alpha), a, aType, lda, strideA,
                    b, bType, ldb, strideB, arena.allocateFrom(F32, beta), c, cType, ldc, strideC, batchCount,
                    computeType, GEMM_DEFAULT);
        }
    }

    // const char *cublasGetStatusString(cublasStatus_t status);
    private String statusString(int code) {
        try {
            MemorySegment s = (MemorySegment) fns.get("cublasGetStatusString", FunctionDescriptor.of(PTR, I32)).invoke(code);
            return s.address() == 0 ? null : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            return null;
        }
    }

    private void call(String symbol, FunctionDescriptor descriptor, Object... args) {
        int code;
        try {
            code = (int) fns.get(symbol, descriptor).invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (code != 0) throw new CublasException(symbol, code, CudaStatus.name(CudaStatus.CUBLAS, code), statusString(code));
    }
}
