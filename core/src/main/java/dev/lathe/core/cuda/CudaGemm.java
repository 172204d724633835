package dev.lathe.core.cuda;

import dev.lathe.bindings.cuda.Cublas;
import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import java.util.Locale;

/**
 * GEMM through cuBLAS. Tensors are row-major and cuBLAS column-major, so row-major {@code C = op(A)·op(B)}
 * ([M, K]·[K, N]) is computed as the column-major {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}: (m, n) = (N, M), B's memory
 * first. A {@link Tensor#t()} view is read in place as an OP_T operand. F32 inputs accumulate in F32 (TF32 tensor
 * cores when the precision is "tf32"); BF16/F16 inputs accumulate in F32 and write F32 or their own dtype.
 */
final class CudaGemm {
    private static volatile boolean tf32;

    private CudaGemm() {}

    /** "fp32" (default: exact F32 products) or "tf32" (F32 GEMMs on TF32 tensor cores). */
    static void setPrecision(String precision) {
        switch (precision.toLowerCase(Locale.ROOT)) {
            case "fp32" -> tf32 = false;
            case "tf32" -> tf32 = true;
            default -> throw new IllegalArgumentException("matmul precision '" + precision + "' (expected fp32 or tf32)");
        }
    }

    static String precision() {
        return tf32 ? "tf32" : "fp32";
    }

    /** The cuBLAS arguments of one row-major (batched) product; see the class comment for the swap. */
    record Plan(int opA, int opB, int m, int n, int k, int lda, int ldb, int ldc,
                long strideA, long strideB, long strideC, int batch, int inputType, int outputType, int computeType) {}

    /**
     * Plans c = a @ b for a [.., M, K], b [.., K, N] or [K, N] (shared), c [.., M, N]; the cuBLAS "A" operand is
     * b and "B" is a. Shapes and dtypes are checked here (CpuBackend's rules, plus the 16-bit inputs).
     */
    static Plan plan(Tensor a, Tensor b, Tensor c) {
        DType in = a.dtype();
        if (b.dtype() != in || !in.isFloating()) throw new IllegalArgumentException("matmul inputs must share a float dtype: " + a + " @ " + b);
        if (c.dtype() != DType.F32 && c.dtype() != in) throw new IllegalArgumentException("matmul output " + c + " must be F32 or " + in);
        if (c.isTransposed()) throw new IllegalArgumentException("cannot write into a transposed view " + c);
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2: " + a + " @ " + b);
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        if (b.dim(-2) != k) throw new IllegalArgumentException("matmul inner dims differ: " + a + " @ " + b);
        long mk = (long) m * k, kn = (long) k * n, mn = (long) m * n;
        if (c.dim(-2) != m || c.dim(-1) != n || c.numel() / Math.max(1L, mn) != a.numel() / Math.max(1L, mk)) {
            throw new IllegalArgumentException("matmul output " + c + " does not fit " + a + " @ " + b);
        }
        int batch = Math.toIntExact(mk == 0 ? c.numel() / Math.max(1L, mn) : a.numel() / mk);
        long strideB;
        if (b.rank() == 2) {
            strideB = 0;
        } else if (b.numel() / Math.max(1L, kn) == batch) {
            strideB = kn;
        } else {
            throw new IllegalArgumentException("matmul batch dims differ: " + a + " @ " + b);
        }
        boolean ta = a.isTransposed(), tb = b.isTransposed();
        int lda = ta ? m : k, ldb = tb ? k : n;
        int inputType = cudaType(in), outputType = cudaType(c.dtype());
        int compute = in == DType.F32 && tf32 ? Cublas.COMPUTE_32F_FAST_TF32 : Cublas.COMPUTE_32F;
        return new Plan(tb ? Cublas.OP_T : Cublas.OP_N, ta ? Cublas.OP_T : Cublas.OP_N, n, m, k,
                Math.max(1, ldb), Math.max(1, lda), Math.max(1, n), strideB, mk, mn, batch, inputType, outputType, compute);
    }

    /** Runs c = alpha·a@b + beta·c on the context's stream. */
    static void matmul(CudaContext ctx, Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        Plan p = plan(a, b, c);
        if (p.m() == 0 || p.n() == 0 || p.batch() == 0) return;
        long pa = CudaLaunch.pointer(b), pb = CudaLaunch.pointer(a), pc = CudaLaunch.pointer(c);
        ctx.enter();
        Cublas blas = Cublas.get();
        synchronized (CudaGemm.class) { // one handle: its calls must not interleave
            if (p.batch() == 1) {
                blas.gemmEx(ctx.cublas, p.opA(), p.opB(), p.m(), p.n(), p.k(), alpha, pa, p.inputType(), p.lda(),
                        pb, p.inputType(), p.ldb(), beta, pc, p.outputType(), p.ldc(), p.computeType());
            } else {
                blas.gemmStridedBatchedEx(ctx.cublas, p.opA(), p.opB(), p.m(), p.n(), p.k(), alpha,
                        pa, p.inputType(), p.lda(), p.strideA(), pb, p.inputType(), p.ldb(), p.strideB(), beta,
                        pc, p.outputType(), p.ldc(), p.strideC(), p.batch(), p.computeType());
            }
        }
    }

    private static int cudaType(DType t) {
        return switch (t) {
            case F32 -> Cublas.R_32F;
            case BF16 -> Cublas.R_16BF;
            case F16 -> Cublas.R_16F;
            case I32 -> throw new IllegalArgumentException("matmul of I32");
        };
    }
}
