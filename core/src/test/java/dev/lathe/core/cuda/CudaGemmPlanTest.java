package dev.lathe.core.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.bindings.cuda.Cublas;
import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major → column-major GEMM mapping without a GPU: each plan is executed by a reference of cuBLAS's
 * column-major strided-batched semantics over the operands' memory and compared with a float64 row-major product
 * of the logical matrices.
 */
class CudaGemmPlanTest {
    final Random rng = new Random(11);

    /** cublasGemmStridedBatchedEx's definition, over flat memory: C = alpha·op(A)·op(B) + beta·C, column-major. */
    static void referenceColumnMajor(CudaGemm.Plan p, float alpha, float[] a, float[] b, float beta, float[] c) {
        for (int batch = 0; batch < p.batch(); batch++) {
            long oa = batch * p.strideA(), ob = batch * p.strideB(), oc = batch * p.strideC();
            for (int i = 0; i < p.m(); i++) {
                for (int j = 0; j < p.n(); j++) {
                    double s = 0;
                    for (int l = 0; l < p.k(); l++) {
                        double x = p.opA() == Cublas.OP_N ? a[(int) (oa + i + (long) l * p.lda())] : a[(int) (oa + l + (long) i * p.lda())];
                        double y = p.opB() == Cublas.OP_N ? b[(int) (ob + l + (long) j * p.ldb())] : b[(int) (ob + j + (long) l * p.ldb())];
                        s += x * y;
                    }
                    int ci = (int) (oc + i + (long) j * p.ldc());
                    c[ci] = (float) (alpha * s + beta * c[ci]);
                }
            }
        }
    }

    /** A tensor of logical shape [.., r, c]; transposed: stored as [.., c, r] and viewed with t(). */
    Tensor operand(boolean transposed, int... shape) {
        int[] stored = shape.clone();
        if (transposed) {
            stored[shape.length - 1] = shape[shape.length - 2];
            stored[shape.length - 2] = shape[shape.length - 1];
        }
        Tensor t = Tensor.randn(rng, 1f, stored);
        if (!transposed) return t;
        Tensor view = t.t(); // holds its own reference to the storage
        t.close();
        return view;
    }

    /** Memory order of a CPU tensor (its segment), independent of any transposed flag. */
    static float[] memory(Tensor t) {
        return t.segment().toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
    }

    void check(Tensor a, Tensor b, int... cShape) {
        try (Tensor c = Tensor.randn(rng, 1f, cShape)) {
            float alpha = 0.75f, beta = -0.5f;
            float[] expected = rowMajorReference(a, b, c, alpha, beta);
            float[] got = memory(c);
            referenceColumnMajor(CudaGemm.plan(a, b, c), alpha, memory(b), memory(a), beta, got);
            for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-4, "element " + i);
        } finally {
            a.close();
            b.close();
        }
    }

    static float[] rowMajorReference(Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        float[] av = a.toFloatArray(), bv = b.toFloatArray(), cv = c.toFloatArray();
        int batch = cv.length / (m * n);
        boolean shared = b.rank() == 2;
        float[] out = new float[cv.length];
        for (int p = 0; p < batch; p++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int l = 0; l < k; l++) s += (double) av[p * m * k + i * k + l] * bv[(shared ? 0 : p * k * n) + l * n + j];
                    int o = p * m * n + i * n + j;
                    out[o] = (float) (alpha * s + beta * cv[o]);
                }
            }
        }
        return out;
    }

    @Test
    void plainAndTransposedOperands() {
        check(operand(false, 37, 53), operand(false, 53, 29), 37, 29);
        check(operand(true, 37, 53), operand(false, 53, 29), 37, 29);
        check(operand(false, 37, 53), operand(true, 53, 29), 37, 29);
        check(operand(true, 37, 53), operand(true, 53, 29), 37, 29);
    }

    @Test
    void batchedWithOwnOrSharedB() {
        check(operand(false, 3, 5, 7), operand(false, 3, 7, 4), 3, 5, 4);
        check(operand(true, 3, 5, 7), operand(true, 3, 7, 4), 3, 5, 4);
        check(operand(false, 2, 3, 5, 7), operand(false, 7, 4), 2, 3, 5, 4);
        check(operand(true, 3, 5, 7), operand(true, 7, 4), 3, 5, 4);
        try (Tensor a = Tensor.zeros(3, 5, 7); Tensor b = Tensor.zeros(7, 4); Tensor c = Tensor.zeros(3, 5, 4)) {
            CudaGemm.Plan p = CudaGemm.plan(a, b, c);
            assertEquals(0, p.strideA(), "a shared b has batch stride 0");
            assertEquals(3, p.batch());
        }
    }

    @Test
    void sixteenBitInputsAccumulateInF32() {
        try (Tensor a = Tensor.zeros(DType.BF16, 4, 8); Tensor b = Tensor.zeros(DType.BF16, 8, 2);
             Tensor cf = Tensor.zeros(4, 2); Tensor cb = Tensor.zeros(DType.BF16, 4, 2);
             Tensor h = Tensor.zeros(DType.F16, 4, 8); Tensor hb = Tensor.zeros(DType.F16, 8, 2)) {
            CudaGemm.Plan p = CudaGemm.plan(a, b, cf);
            assertEquals(Cublas.R_16BF, p.inputType());
            assertEquals(Cublas.R_32F, p.outputType());
            assertEquals(Cublas.COMPUTE_32F, p.computeType());
            assertEquals(Cublas.R_16BF, CudaGemm.plan(a, b, cb).outputType());
            assertEquals(Cublas.R_16F, CudaGemm.plan(h, hb, cf).inputType());
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.plan(a, hb, cf), "mixed input dtypes");
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.plan(h, hb, cb), "F16 inputs into BF16");
        }
    }

    @Test
    void tf32IsAComputeTypeOfF32InputsOnly() {
        try (Tensor a = Tensor.zeros(4, 8); Tensor b = Tensor.zeros(8, 2); Tensor c = Tensor.zeros(4, 2);
             Tensor ab = Tensor.zeros(DType.BF16, 4, 8); Tensor bb = Tensor.zeros(DType.BF16, 8, 2)) {
            CudaGemm.setPrecision("tf32");
            try {
                assertEquals(Cublas.COMPUTE_32F_FAST_TF32, CudaGemm.plan(a, b, c).computeType());
                assertEquals(Cublas.COMPUTE_32F, CudaGemm.plan(ab, bb, c).computeType());
            } finally {
                CudaGemm.setPrecision("fp32");
            }
            assertEquals(Cublas.COMPUTE_32F, CudaGemm.plan(a, b, c).computeType());
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.setPrecision("fp8"));
        }
    }

    @Test
    void badShapesAreRejected() {
        try (Tensor a = Tensor.zeros(4, 8); Tensor b = Tensor.zeros(7, 2); Tensor c = Tensor.zeros(4, 2);
             Tensor b8 = Tensor.zeros(8, 2); Tensor wrong = Tensor.zeros(4, 3); Tensor a3 = Tensor.zeros(3, 4, 8);
             Tensor b2 = Tensor.zeros(2, 8, 2); Tensor c3 = Tensor.zeros(3, 4, 2); Tensor cb = Tensor.zeros(DType.BF16, 4, 2)) {
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.plan(a, b, c));
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.plan(a, b8, wrong));
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.plan(a3, b2, c3), "batch dims differ");
            assertThrows(IllegalArgumentException.class, () -> CudaGemm.plan(a, b8, cb), "F32 inputs into BF16");
        }
    }
}
