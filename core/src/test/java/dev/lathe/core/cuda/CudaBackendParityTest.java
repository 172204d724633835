package dev.lathe.core.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AdamWHyper;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every Backend method on the GPU against the CPU backend: the same random operands (odd sizes, transposed
 * views, BF16 GEMM inputs, masks, packed documents, dropout, grouped-query heads) on both, outputs compared with
 * F32 tolerances (bit for bit where the arithmetic is the same: copies, conversions, fills, dropout). Skips, saying
 * why, where no GPU is usable.
 */
@Tag("gpu")
class CudaBackendParityTest {
    static final Backend CPU = Backends.cpu();
    static CudaBackend gpu;
    final Random rng = new Random(2024);
    Scope scope;

    @BeforeAll
    static void device() {
        String reason = Backends.cudaUnavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "no GPU: " + reason);
        Assumptions.assumeTrue(CudaBackend.unavailableReason() == null, () -> "no GPU: " + CudaBackend.unavailableReason());
        gpu = CudaBackend.get();
    }

    @BeforeEach
    void open() {
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    // ---------------------------------------------------------------- helpers

    Tensor randn(int... shape) {
        return Tensor.randn(rng, 1f, shape);
    }

    Tensor uniform(float lo, float hi, int... shape) {
        return Tensor.uniform(rng, lo, hi, shape);
    }

    /** A logical [.., r, c] operand stored as [.., c, r] and viewed through t(). */
    Tensor transposed(int... shape) {
        int[] stored = shape.clone();
        stored[shape.length - 1] = shape[shape.length - 2];
        stored[shape.length - 2] = shape[shape.length - 1];
        return randn(stored).t();
    }

    static Tensor onDevice(Tensor host) {
        if (host == null) return null;
        return host.isTransposed() ? host.t().to(Device.CUDA).t() : host.to(Device.CUDA);
    }

    /**
     * Runs {@code op} on the CPU over {@code operands} and on the GPU over device copies of them, then compares
     * operands {@code compared} (outputs, or in-place inputs) within |cpu - gpu| <= atol + rtol·|cpu|.
     */
    static void parity(int[] compared, double atol, double rtol, BiConsumer<Backend, Tensor[]> op, Tensor... operands) {
        Tensor[] dev = new Tensor[operands.length];
        for (int i = 0; i < operands.length; i++) dev[i] = onDevice(operands[i]);
        op.accept(gpu, dev);
        op.accept(CPU, operands);
        for (int i : compared) if (operands[i] != null) assertClose(operands[i].toFloatArray(), dev[i].toFloatArray(), atol, rtol, "operand " + i);
    }

    static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a) || e == a) continue;
            assertTrue(Math.abs(e - a) <= atol + rtol * Math.abs(e), what + "[" + i + "]: cpu " + e + ", gpu " + a);
        }
    }

    static int[] idx(int... i) {
        return i;
    }

    static final double ATOL = 1e-5, RTOL = 1e-4;

    // ---------------------------------------------------------------- data movement

    @Test
    void hostDeviceRoundTripsAreExact() {
        Tensor f = randn(37, 53);
        Tensor i = Tensor.ofInts(new int[] {1, -2, 3, Integer.MAX_VALUE, Integer.MIN_VALUE});
        assertArrayEquals(f.toFloatArray(), f.to(Device.CUDA).toFloatArray());
        assertArrayEquals(i.toIntArray(), i.to(Device.CUDA).toIntArray());
        Tensor empty = Tensor.zeros(0, 5);
        assertEquals(0, empty.to(Device.CUDA).toFloatArray().length);
    }

    @Test
    void copiesAndConversionsMatchBitForBit() {
        for (var pair : new DType[][] {{DType.F32, DType.F32}, {DType.F32, DType.BF16}, {DType.F32, DType.F16}}) {
            Tensor src = randn(37, 53);
            src.setFloat(0, Float.NaN);
            src.setFloat(1, 1e30f);
            src.setFloat(2, 1e-30f);
            Tensor mid = Tensor.empty(pair[1], 37, 53), back = Tensor.empty(DType.F32, 37, 53);
            parity(idx(1, 2), 0, 0, (b, t) -> {
                b.copy(t[0], t[1]);
                b.copy(t[1], t[2]);
            }, src, mid, back);
            if (pair[1] != DType.F32) { // the 16-bit bits themselves, NaN payloads included
                Tensor devMid = Tensor.empty(Device.CUDA, pair[1], 37, 53), hostMid = Tensor.empty(pair[1], 37, 53);
                gpu.copy(onDevice(src), devMid);
                CPU.copy(src, hostMid);
                assertArrayEquals(hostMid.segment().toArray(ValueLayout.JAVA_SHORT),
                        devMid.to(Device.CPU).segment().toArray(ValueLayout.JAVA_SHORT), pair[1] + " bits");
            }
        }
        parity(idx(1), 0, 0, (b, t) -> b.copy(t[0], t[1]), transposed(3, 37, 53), Tensor.zeros(3, 37, 53));
        parity(idx(1), 0, 0, (b, t) -> b.copy(t[0], t[1]), transposed(53, 37), Tensor.zeros(53, 37));
    }

    @Test
    void fillAndZero() {
        parity(idx(0), 0, 0, (b, t) -> b.fill(t[0], -1.2345678f), Tensor.zeros(DType.F32, 37, 53));
        for (DType d : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (float value : new float[] {-1.2345678f, 1e-7f, 70000f, Float.NaN}) {
                Tensor f = Tensor.full(value, 37, 53), expected = Tensor.empty(d, 37, 53); // the CPU fills F32 only
                CPU.copy(f, expected);
                Tensor filled = Tensor.empty(Device.CUDA, d, 37, 53);
                gpu.fill(filled, value);
                assertArrayEquals(expected.toFloatArray(), filled.toFloatArray(), d + " fill " + value);
            }
            Tensor dev = Tensor.empty(Device.CUDA, d, 37, 53);
            gpu.fill(dev, 3f);
            gpu.zero(dev);
            for (float v : dev.toFloatArray()) assertEquals(0f, v);
        }
        Tensor ints = Tensor.ofInts(new int[] {5, 6, 7}).to(Device.CUDA);
        gpu.zero(ints);
        assertArrayEquals(new int[3], ints.toIntArray());
    }

    // ---------------------------------------------------------------- GEMM

    @Test
    void matmulPlainTransposedAndBatched() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = ta ? transposed(37, 53) : randn(37, 53), b = tb ? transposed(53, 29) : randn(53, 29);
                parity(idx(2), 1e-4, 1e-4, (be, t) -> be.matmul(t[0], t[1], t[2], 1f, 0f), a, b, randn(37, 29));
                Tensor a3 = ta ? transposed(3, 37, 53) : randn(3, 37, 53), b3 = tb ? transposed(3, 53, 29) : randn(3, 53, 29);
                parity(idx(2), 1e-4, 1e-4, (be, t) -> be.matmul(t[0], t[1], t[2], 0.5f, -1.25f), a3, b3, randn(3, 37, 29));
                Tensor b2 = tb ? transposed(53, 29) : randn(53, 29);
                parity(idx(2), 1e-4, 1e-4, (be, t) -> be.matmul(t[0], t[1], t[2], 1f, 1f), a3, b2, randn(3, 37, 29));
            }
        }
    }

    @Test
    void matmulInTf32IsCloseToF32() {
        gpu.setTf32(true);
        try {
            parity(idx(2), 5e-2, 1e-2, (be, t) -> be.matmul(t[0], t[1], t[2], 1f, 0f), randn(37, 53), randn(53, 29),
                    randn(37, 29));
        } finally {
            gpu.setTf32(false);
        }
    }

    @Test
    void matmulOfBf16InputsAccumulatesInF32() {
        assertEquals(DType.BF16, gpu.computeType(DType.BF16));
        Tensor a = randn(3, 37, 53), b = randn(53, 29);
        Tensor a16 = Tensor.empty(DType.BF16, 3, 37, 53), b16 = Tensor.empty(DType.BF16, 53, 29);
        CPU.copy(a, a16);
        CPU.copy(b, b16);
        Tensor aw = Tensor.empty(3, 37, 53), bw = Tensor.empty(53, 29), ref = Tensor.zeros(3, 37, 29);
        CPU.copy(a16, aw); // the exact BF16 values, widened
        CPU.copy(b16, bw);
        CPU.matmul(aw, bw, ref, 1f, 0f);
        Tensor out = Tensor.zeros(Device.CUDA, DType.F32, 3, 37, 29);
        gpu.matmul(onDevice(a16), onDevice(b16), out, 1f, 0f);
        assertClose(ref.toFloatArray(), out.toFloatArray(), 1e-4, 1e-4, "bf16 @ bf16 -> f32");
        Tensor out16 = Tensor.zeros(Device.CUDA, DType.BF16, 3, 37, 29);
        gpu.matmul(onDevice(a16), onDevice(b16), out16, 1f, 0f);
        assertClose(ref.toFloatArray(), out16.toFloatArray(), 1e-2, 1.0 / 128, "bf16 @ bf16 -> bf16");
        Tensor btw = Tensor.empty(29, 53), bt16 = Tensor.empty(DType.BF16, 29, 53); // b's values stored transposed
        CPU.copy(bw.t(), btw);
        CPU.copy(btw, bt16);
        Tensor outT = Tensor.zeros(Device.CUDA, DType.F32, 3, 37, 29);
        gpu.matmul(onDevice(a16), onDevice(bt16).t(), outT, 1f, 0f);
        assertClose(ref.toFloatArray(), outT.toFloatArray(), 1e-4, 1e-4, "bf16 @ bf16ᵀ view");
    }

    // ---------------------------------------------------------------- element-wise and reductions

    @Test
    void elementwise() {
        for (BinaryOp op : BinaryOp.values()) {
            parity(idx(2), ATOL, RTOL, (b, t) -> b.binary(op, t[0], t[1], t[2]), randn(37, 53), uniform(0.5f, 2f, 37, 53),
                    randn(37, 53));
            parity(idx(2), ATOL, RTOL, (b, t) -> b.binary(op, t[0], t[1], t[2]), randn(3, 37, 53), uniform(0.5f, 2f, 53),
                    randn(3, 37, 53));
        }
        for (UnaryOp op : UnaryOp.values()) {
            parity(idx(1), ATOL, RTOL, (b, t) -> b.unary(op, t[0], t[1]), uniform(0.1f, 3f, 37, 53), randn(37, 53));
            if (op != UnaryOp.LOG && op != UnaryOp.SQRT && op != UnaryOp.RSQRT) {
                parity(idx(1), ATOL, RTOL, (b, t) -> b.unary(op, t[0], t[1]), randn(37, 53), randn(37, 53));
            }
        }
        parity(idx(1), 0, 0, (b, t) -> b.scale(t[0], -0.37f, t[1]), randn(37, 53), randn(37, 53));
        parity(idx(1), 0, 0, (b, t) -> b.addScalar(t[0], 2.5f, t[1]), randn(37, 53), randn(37, 53));
        parity(idx(1), 0, 0, (b, t) -> b.dropout(t[0], 0.3f, 0x1234_5678_9abcL, t[1]), randn(3, 37, 53), randn(3, 37, 53));
        parity(idx(1), ATOL, RTOL, (b, t) -> b.axpy(0.7f, t[0], t[1]), randn(37, 53), randn(37, 53));
    }

    @Test
    void reductions() {
        for (int n : new int[] {1, 37 * 53, 1_000_003}) {
            Tensor x = randn(n);
            Tensor dx = onDevice(x);
            assertEquals(CPU.sum(x), gpu.sum(dx), 1e-9 * n);
            assertEquals(CPU.sumSquares(x), gpu.sumSquares(dx), 1e-12 * n * CPU.sumSquares(x));
        }
        assertEquals(0.0, gpu.sum(Tensor.zeros(Device.CUDA, DType.F32, 0)));
        parity(idx(1), ATOL, RTOL, (b, t) -> b.sumRows(t[0], t[1]), randn(3, 37, 53), randn(53));
        parity(idx(1), ATOL, RTOL, (b, t) -> b.rowSum(t[0], t[1]), randn(3, 37, 53), randn(3, 37));
        parity(idx(1), ATOL, RTOL, (b, t) -> b.rowSum(t[0], t[1]), randn(5, 4099), randn(5));
    }

    // ---------------------------------------------------------------- normalisation and activations

    @Test
    void softmaxAndNorms() {
        parity(idx(1), ATOL, RTOL, (b, t) -> b.softmaxForward(t[0], t[1]), randn(37, 53), randn(37, 53));
        parity(idx(2), ATOL, RTOL, (b, t) -> b.softmaxBackward(t[0], t[1], t[2]), uniform(0f, 1f, 37, 53), randn(37, 53),
                randn(37, 53));
        for (boolean withBeta : new boolean[] {true, false}) {
            parity(idx(4, 5, 6), ATOL, RTOL, (b, t) -> b.layerNormForward(t[0], t[1], t[2], 1e-5f, t[4], t[5], t[6]),
                    randn(3, 37, 53), randn(53), withBeta ? randn(53) : null, null, randn(3, 37, 53), randn(111), randn(111));
            Tensor x = randn(3, 37, 53), gamma = randn(53), mean = Tensor.empty(111), rstd = Tensor.empty(111);
            CPU.layerNormForward(x, gamma, null, 1e-5f, Tensor.empty(3, 37, 53), mean, rstd);
            parity(idx(5, 6, 7), 1e-4, 1e-4, (b, t) -> b.layerNormBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]),
                    randn(3, 37, 53), x, gamma, mean, rstd, randn(3, 37, 53), randn(53), withBeta ? randn(53) : null);
        }
        parity(idx(3, 4), ATOL, RTOL, (b, t) -> b.rmsNormForward(t[0], t[1], 1e-6f, t[3], t[4]), randn(3, 37, 53),
                randn(53), null, randn(3, 37, 53), randn(111));
        Tensor x = randn(3, 37, 53), w = randn(53), rstd = Tensor.empty(111);
        CPU.rmsNormForward(x, w, 1e-6f, Tensor.empty(3, 37, 53), rstd);
        parity(idx(4, 5), 1e-4, 1e-4, (b, t) -> b.rmsNormBackward(t[0], t[1], t[2], t[3], t[4], t[5]), randn(3, 37, 53), x,
                w, rstd, randn(3, 37, 53), randn(53));
    }

    @Test
    void activationsAndRotary() {
        Tensor x = Tensor.randn(rng, 3f, 37, 53);
        parity(idx(1), ATOL, RTOL, (b, t) -> b.geluForward(t[0], t[1]), x, randn(37, 53));
        parity(idx(2), ATOL, RTOL, (b, t) -> b.geluBackward(t[0], t[1], t[2]), x, randn(37, 53), randn(37, 53));
        parity(idx(1), ATOL, RTOL, (b, t) -> b.siluForward(t[0], t[1]), x, randn(37, 53));
        parity(idx(2), ATOL, RTOL, (b, t) -> b.siluBackward(t[0], t[1], t[2]), x, randn(37, 53), randn(37, 53));
        for (boolean inverse : new boolean[] {false, true}) {
            parity(idx(3), ATOL, RTOL, (b, t) -> b.rotary(t[0], t[1], t[2], inverse, t[3]), randn(37, 3 * 80),
                    uniform(-1f, 1f, 37, 40), uniform(-1f, 1f, 37, 40), randn(37, 3 * 80));
        }
    }

    // ---------------------------------------------------------------- embedding, attention, loss

    @Test
    void embedding() {
        int[] ids = new int[3 * 37];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(11); // many repeats: the atomic adds meet
        Tensor idT = Tensor.ofInts(ids, 3, 37);
        parity(idx(2), 0, 0, (b, t) -> b.embeddingForward(t[0], t[1], t[2]), idT, randn(11, 53), randn(3, 37, 53));
        parity(idx(2), 1e-5, 1e-5, (b, t) -> b.embeddingBackward(t[0], t[1], t[2], false), idT, randn(3, 37, 53), randn(11, 53));
    }

    @Test
    void crossEntropy() {
        int n = 37, v = 1031;
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) targets[i] = i % 7 == 3 ? -100 : rng.nextInt(v);
        Tensor tg = Tensor.ofInts(targets), logits = Tensor.randn(rng, 3f, n, v);
        parity(idx(3, 4), ATOL, RTOL, (b, t) -> b.crossEntropyForward(t[0], t[1], -100, t[3], t[4]), logits, tg, null,
                randn(n), randn(n));
        Tensor losses = Tensor.empty(n), lse = Tensor.empty(n);
        CPU.crossEntropyForward(logits, tg, -100, losses, lse);
        parity(idx(4), 1e-6, RTOL, (b, t) -> b.crossEntropyBackward(t[0], t[1], -100, t[2], t[3], t[4]), logits, tg, lse,
                randn(n), randn(n, v));
    }

    @Test
    void adamw() {
        AdamWHyper h = new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 7);
        parity(idx(0, 2, 3), 1e-6, 1e-5, (b, t) -> b.adamwStep(t[0], t[1], t[2], t[3], h), randn(37, 53), randn(37, 53),
                randn(37, 53), uniform(0f, 1f, 37, 53));
    }

    @Test
    void adamwOverManyTensorsInOneLaunch() {
        AdamWHyper h = new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 3);
        // three parameters of different sizes: p0, g0, m0, v0, p1, ... ; params and moments are updated in place
        int[][] shapes = {{37, 53}, {5}, {300, 7}};
        Tensor[] in = new Tensor[4 * shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            in[4 * i] = randn(shapes[i]);
            in[4 * i + 1] = randn(shapes[i]);
            in[4 * i + 2] = randn(shapes[i]);
            in[4 * i + 3] = uniform(0f, 1f, shapes[i]);
        }
        parity(idx(0, 2, 3, 4, 6, 7, 8, 10, 11), 1e-6, 1e-5, (b, t) -> b.adamwSteps(
                java.util.List.of(t[0], t[4], t[8]), java.util.List.of(t[1], t[5], t[9]),
                java.util.List.of(t[2], t[6], t[10]), java.util.List.of(t[3], t[7], t[11]), h), in);
    }

    /** Packed [B, T, 3·H·D] qkv with every option: runs forward and backward on both and compares. */
    void attentionCase(int B, int T, int H, int Hkv, int D, boolean mask, boolean docs, float dropout) {
        int qw = H * D, kw = Hkv * D;
        AttentionSpec s = new AttentionSpec(B, T, H, Hkv, D, AttentionSpec.defaultScale(D), 0, qw, qw + kw)
                .withDropout(dropout, 0xfeedL + T);
        int width = qw + 2 * kw;
        Tensor qkv = randn(B, T, width);
        Tensor keyMask = null, documents = null;
        if (mask) {
            int[] m = new int[B * T];
            for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) m[b * T + t] = t < T - 3 * b || t % 5 == 0 ? 1 : 0;
            keyMask = Tensor.ofInts(m, B, T);
        }
        if (docs) {
            int[] d = new int[B * T];
            for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) d[b * T + t] = t / (7 + b);
            documents = Tensor.ofInts(d, B, T);
        }
        String what = "B" + B + " T" + T + " H" + H + "/" + Hkv + " D" + D + (mask ? " mask" : "") + (docs ? " docs" : "")
                + (dropout > 0 ? " dropout" : "");
        Tensor out = Tensor.empty(B, T, qw), lse = Tensor.empty(B, H, T);
        Tensor dOut = onDevice(out), dLse = onDevice(lse), dQkv = onDevice(qkv), dMask = onDevice(keyMask), dDocs = onDevice(documents);
        CPU.attentionForward(s, qkv, qkv, qkv, keyMask, documents, out, lse);
        gpu.attentionForward(s, dQkv, dQkv, dQkv, dMask, dDocs, dOut, dLse);
        assertClose(out.toFloatArray(), dOut.toFloatArray(), 1e-5, 1e-4, what + " out");
        assertClose(lse.toFloatArray(), dLse.toFloatArray(), 1e-5, 1e-5, what + " lse");
        Tensor dout = randn(B, T, qw), grad = randn(B, T, width);
        Tensor dGrad = onDevice(grad);
        CPU.attentionBackward(s, qkv, qkv, qkv, keyMask, documents, out, lse, dout, grad, grad, grad);
        gpu.attentionBackward(s, dQkv, dQkv, dQkv, dMask, dDocs, dOut, dLse, onDevice(dout), dGrad, dGrad, dGrad);
        assertClose(grad.toFloatArray(), dGrad.toFloatArray(), 1e-4, 1e-3, what + " dqkv");
    }

    @Test
    void attentionForwardAndBackward() {
        attentionCase(2, 37, 4, 4, 64, false, false, 0f);
        attentionCase(3, 53, 6, 2, 80, true, false, 0f);
        attentionCase(2, 41, 4, 1, 64, false, true, 0f);
        attentionCase(2, 37, 4, 2, 80, true, true, 0.2f);
        attentionCase(1, 130, 2, 2, 128, false, false, 0.1f);
    }

    @Test
    void attentionOnSeparateQkvTensors() {
        int B = 2, T = 37, H = 6, Hkv = 2, D = 80;
        AttentionSpec s = new AttentionSpec(B, T, H, Hkv, D, 0.1f, 0, 0, 0);
        Tensor q = randn(B, T, H * D), k = randn(B, T, Hkv * D), v = randn(B, T, Hkv * D);
        parity(idx(3, 4), 1e-5, 1e-4, (b, t) -> b.attentionForward(s, t[0], t[1], t[2], null, null, t[3], t[4]),
                q, k, v, randn(B, T, H * D), randn(B, H, T));
    }

    @Test
    void attentionLimitsAreClearErrors() {
        AttentionSpec tooWide = new AttentionSpec(1, 4, 1, 1, 129, 0.1f, 0, 129, 258);
        Tensor qkv = Tensor.zeros(Device.CUDA, DType.F32, 1, 4, 387);
        var e = assertThrows(IllegalArgumentException.class, () -> gpu.attentionForward(tooWide, qkv, qkv, qkv, null,
                Tensor.zeros(Device.CUDA, DType.F32, 1, 4, 129), Tensor.zeros(Device.CUDA, DType.F32, 1, 1, 4)));
        assertTrue(e.getMessage().contains("head dim <= 128"), e.getMessage());
    }

    @Test
    void decodeAttention() {
        int B = 2, maxLen = 45, H = 6, Hkv = 2, D = 64;
        for (int[] c : new int[][] {{1, 40}, {3, 37}, {5, 5}}) {
            int Tq = c[0], len = c[1];
            AttentionSpec s = new AttentionSpec(B, Tq, H, Hkv, D, AttentionSpec.defaultScale(D), 0, 0, Hkv * D);
            int[] m = new int[B * maxLen];
            for (int i = 0; i < m.length; i++) m[i] = i % 9 == 4 ? 0 : 1;
            Tensor mask = Tensor.ofInts(m, B, maxLen);
            Tensor cache = randn(B, maxLen, 2 * Hkv * D);
            for (Tensor km : new Tensor[] {null, mask}) {
                parity(idx(4), 1e-5, 1e-4, (b, t) -> b.attentionDecode(s, len, maxLen, t[0], t[1], t[2], t[3], t[4]),
                        randn(B, Tq, H * D), cache, cache, km, randn(B, Tq, H * D));
            }
        }
    }

    @Test
    void describesTheCardAndCachesMemory() {
        assertTrue(gpu.describe().startsWith("cuda ("), gpu.describe());
        long before = gpu.allocator().reservedBytes();
        try (Tensor t = Tensor.empty(Device.CUDA, DType.F32, 1000)) {
            assertTrue(gpu.allocator().allocatedBytes() >= 4000);
        }
        assertTrue(gpu.allocator().reservedBytes() >= before);
    }
}
