package dev.lathe.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every differentiable op: forward against float64 math, backward against central finite differences. */
class OpsGradTest {
    private final Random rng = new Random(1234);
    private final List<Tensor> owned = new ArrayList<>();

    @AfterEach
    void free() {
        owned.forEach(Tensor::close);
    }

    private Tensor randn(int... shape) {
        Tensor t = Tensor.randn(rng, 1f, shape);
        owned.add(t);
        return t;
    }

    private Tensor positive(int... shape) {
        Tensor t = Tensor.uniform(rng, 0.5f, 2f, shape);
        owned.add(t);
        return t;
    }

    private Tensor ids(int bound, int... shape) {
        int[] v = new int[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(bound);
        Tensor t = Tensor.ofInts(v, shape);
        owned.add(t);
        return t;
    }

    private static void assertClose(double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    private static double[] d(Tensor t) {
        float[] f = t.toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    // ---------------------------------------------------------------- element-wise

    @Test
    void binaryOpsWithBroadcastMatchFloat64AndGradients() {
        Tensor a = randn(3, 5, 7), row = positive(7), scalar = positive(), same = positive(3, 5, 7);
        for (Tensor b : new Tensor[] {row, scalar, same}) {
            try (var s = Scope.open()) {
                double[] da = d(a), db = d(b);
                int n = da.length, bl = db.length;
                double[] add = new double[n], sub = new double[n], mul = new double[n], div = new double[n];
                for (int i = 0; i < n; i++) {
                    add[i] = da[i] + db[i % bl];
                    sub[i] = da[i] - db[i % bl];
                    mul[i] = da[i] * db[i % bl];
                    div[i] = da[i] / db[i % bl];
                }
                assertClose(add, ElementwiseOps.add(a, b).toFloatArray(), 1e-6);
                assertClose(sub, ElementwiseOps.sub(a, b).toFloatArray(), 1e-6);
                assertClose(mul, ElementwiseOps.mul(a, b).toFloatArray(), 1e-6);
                assertClose(div, ElementwiseOps.div(a, b).toFloatArray(), 1e-6);
            }
            GradCheck.check("add", List.of(a, b), in -> ElementwiseOps.add(in.get(0), in.get(1)));
            GradCheck.check("sub", List.of(a, b), in -> ElementwiseOps.sub(in.get(0), in.get(1)));
            GradCheck.check("mul", List.of(a, b), in -> ElementwiseOps.mul(in.get(0), in.get(1)));
            GradCheck.check("div", List.of(a, b), in -> ElementwiseOps.div(in.get(0), in.get(1)));
        }
    }

    @Test
    void unaryOpsMatchFloat64AndGradients() {
        Tensor x = randn(5, 13), p = positive(5, 13);
        try (var s = Scope.open()) {
            double[] dx = d(x), dp = d(p);
            double[] exp = new double[dx.length], tanh = new double[dx.length], sig = new double[dx.length],
                    sq = new double[dx.length], log = new double[dx.length], sqrt = new double[dx.length];
            for (int i = 0; i < dx.length; i++) {
                exp[i] = Math.exp(dx[i]);
                tanh[i] = Math.tanh(dx[i]);
                sig[i] = 1 / (1 + Math.exp(-dx[i]));
                sq[i] = dx[i] * dx[i];
                log[i] = Math.log(dp[i]);
                sqrt[i] = Math.sqrt(dp[i]);
            }
            assertClose(exp, ElementwiseOps.exp(x).toFloatArray(), 1e-5);
            assertClose(tanh, ElementwiseOps.tanh(x).toFloatArray(), 1e-5);
            assertClose(sig, ElementwiseOps.sigmoid(x).toFloatArray(), 1e-5);
            assertClose(sq, ElementwiseOps.square(x).toFloatArray(), 1e-6);
            assertClose(log, ElementwiseOps.log(p).toFloatArray(), 1e-5);
            assertClose(sqrt, ElementwiseOps.sqrt(p).toFloatArray(), 1e-6);
        }
        GradCheck.check("exp", List.of(x), in -> ElementwiseOps.exp(in.get(0)));
        GradCheck.check("tanh", List.of(x), in -> ElementwiseOps.tanh(in.get(0)));
        GradCheck.check("sigmoid", List.of(x), in -> ElementwiseOps.sigmoid(in.get(0)));
        GradCheck.check("square", List.of(x), in -> ElementwiseOps.square(in.get(0)));
        GradCheck.check("scale", List.of(x), in -> ElementwiseOps.scale(in.get(0), -2.5f));
        GradCheck.check("addScalar", List.of(x), in -> ElementwiseOps.addScalar(in.get(0), 3f));
        GradCheck.check("log", List.of(p), in -> ElementwiseOps.log(in.get(0)));
        GradCheck.check("sqrt", List.of(p), in -> ElementwiseOps.sqrt(in.get(0)));
    }

    @Test
    void reductionsMatchFloat64AndGradients() {
        Tensor x = randn(7, 9);
        try (var s = Scope.open()) {
            double sum = 0;
            double[] cols = new double[9];
            double[] dx = d(x);
            for (int i = 0; i < dx.length; i++) {
                sum += dx[i];
                cols[i % 9] += dx[i];
            }
            assertEquals(sum, ReduceOps.sum(x).item(), 1e-5);
            assertEquals(sum / 63, ReduceOps.mean(x).item(), 1e-6);
            assertClose(cols, ReduceOps.sumRows(x, 9).toFloatArray(), 1e-5);
        }
        GradCheck.check("sum", List.of(x), in -> ReduceOps.sum(in.get(0)));
        GradCheck.check("mean", List.of(x), in -> ReduceOps.mean(in.get(0)));
        GradCheck.check("sumRows", List.of(x), in -> ReduceOps.sumRows(in.get(0), 9));
    }

    // ---------------------------------------------------------------- matmul

    private static double[] matmulRef(double[] a, boolean ta, double[] b, boolean tb, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p];
                    double bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    @Test
    void matmulAllTransposesMatchFloat64AndGradients() {
        int m = 5, k = 7, n = 3;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = ta ? randn(k, m) : randn(m, k);
                Tensor b = tb ? randn(n, k) : randn(k, n);
                try (var s = Scope.open()) {
                    Tensor av = ta ? a.t() : a, bv = tb ? b.t() : b;
                    assertClose(matmulRef(d(a), ta, d(b), tb, m, k, n), MatmulOps.matmul(av, bv).toFloatArray(), 1e-5);
                }
                GradCheck.check("matmul ta=" + ta + " tb=" + tb, List.of(a, b),
                        in -> MatmulOps.matmul(ta ? in.get(0).t() : in.get(0), tb ? in.get(1).t() : in.get(1)));
            }
        }
    }

    @Test
    void batchedMatmulSharedAndPerBatchWeights() {
        Tensor a = randn(2, 3, 5, 4), shared = randn(4, 3), perBatch = randn(2, 3, 4, 3);
        try (var s = Scope.open()) {
            double[] da = d(a), ds = d(shared), dp = d(perBatch);
            float[] outShared = MatmulOps.matmul(a, shared).toFloatArray();
            float[] outPer = MatmulOps.matmul(a, perBatch).toFloatArray();
            for (int bi = 0; bi < 6; bi++) {
                double[] ab = java.util.Arrays.copyOfRange(da, bi * 20, bi * 20 + 20);
                double[] refS = matmulRef(ab, false, ds, false, 5, 4, 3);
                double[] refP = matmulRef(ab, false, java.util.Arrays.copyOfRange(dp, bi * 12, bi * 12 + 12), false, 5, 4, 3);
                assertClose(refS, java.util.Arrays.copyOfRange(outShared, bi * 15, bi * 15 + 15), 1e-5);
                assertClose(refP, java.util.Arrays.copyOfRange(outPer, bi * 15, bi * 15 + 15), 1e-5);
            }
        }
        GradCheck.check("matmul shared", List.of(a, shared), in -> MatmulOps.matmul(in.get(0), in.get(1)));
        GradCheck.check("matmul batched", List.of(a, perBatch), in -> MatmulOps.matmul(in.get(0), in.get(1)));
    }

    @Test
    void linearMatchesFloat64AndGradients() {
        Tensor x = randn(2, 3, 5), w = randn(7, 5), b = randn(7);
        try (var s = Scope.open()) {
            double[] ref = matmulRef(d(x), false, d(w), true, 6, 5, 7);
            double[] db = d(b);
            for (int i = 0; i < ref.length; i++) ref[i] += db[i % 7];
            Tensor y = MatmulOps.linear(x, w, b);
            assertArrayEquals(new int[] {2, 3, 7}, y.shape());
            assertClose(ref, y.toFloatArray(), 1e-5);
        }
        GradCheck.check("linear", List.of(x, w, b), in -> MatmulOps.linear(in.get(0), in.get(1), in.get(2)));
        GradCheck.check("linear no bias", List.of(x, w), in -> MatmulOps.linear(in.get(0), in.get(1), null));
    }

    // ---------------------------------------------------------------- norms, activations

    @Test
    void layerNormAndRmsNormMatchFloat64AndGradients() {
        int rows = 3, c = 11;
        Tensor x = randn(rows, c), g = randn(c), b = randn(c);
        try (var s = Scope.open()) {
            double[] dx = d(x), dg = d(g), dbv = d(b);
            double[] ln = new double[rows * c], rms = new double[rows * c];
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0, ms = 0;
                for (int i = 0; i < c; i++) mean += dx[r * c + i] / c;
                for (int i = 0; i < c; i++) {
                    double dev = dx[r * c + i] - mean;
                    var += dev * dev / c;
                    ms += dx[r * c + i] * dx[r * c + i] / c;
                }
                for (int i = 0; i < c; i++) {
                    ln[r * c + i] = (dx[r * c + i] - mean) / Math.sqrt(var + 1e-5) * dg[i] + dbv[i];
                    rms[r * c + i] = dx[r * c + i] / Math.sqrt(ms + 1e-6) * dg[i];
                }
            }
            assertClose(ln, NormOps.layerNorm(x, g, b, 1e-5f).toFloatArray(), 1e-5);
            assertClose(rms, NormOps.rmsNorm(x, g, 1e-6f).toFloatArray(), 1e-5);
        }
        GradCheck.check("layerNorm", List.of(x, g, b), in -> NormOps.layerNorm(in.get(0), in.get(1), in.get(2), 1e-5f));
        GradCheck.check("rmsNorm", List.of(x, g), in -> NormOps.rmsNorm(in.get(0), in.get(1), 1e-6f));
    }

    @Test
    void activationsMatchFloat64AndGradients() {
        Tensor x = randn(4, 9);
        try (var s = Scope.open()) {
            double[] dx = d(x);
            double[] gelu = new double[dx.length], silu = new double[dx.length], soft = new double[dx.length];
            for (int i = 0; i < dx.length; i++) {
                double v = dx[i];
                gelu[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                silu[i] = v / (1 + Math.exp(-v));
            }
            for (int r = 0; r < 4; r++) {
                double z = 0;
                for (int i = 0; i < 9; i++) z += Math.exp(dx[r * 9 + i]);
                for (int i = 0; i < 9; i++) soft[r * 9 + i] = Math.exp(dx[r * 9 + i]) / z;
            }
            assertClose(gelu, ActivationOps.gelu(x).toFloatArray(), 1e-5);
            assertClose(silu, ActivationOps.silu(x).toFloatArray(), 1e-5);
            assertClose(soft, ActivationOps.softmax(x).toFloatArray(), 1e-5);
        }
        GradCheck.check("gelu", List.of(x), in -> ActivationOps.gelu(in.get(0)));
        GradCheck.check("silu", List.of(x), in -> ActivationOps.silu(in.get(0)));
        GradCheck.check("softmax", List.of(x), in -> ActivationOps.softmax(in.get(0)));
    }

    /**
     * gelu(x + bias) against float64 on rows of 9 (a scalar tail each row) and 32 columns, its gradients in x and
     * the bias against finite differences, and bit for bit the values and gradients of gelu(add(x, bias)).
     */
    @Test
    void biasGeluMatchesFloat64AndTheTwoOpsItFuses() {
        for (int cols : new int[] {9, 32}) {
            Tensor x = randn(5, cols), bias = randn(cols);
            try (var s = Scope.open()) {
                double[] dx = d(x), db = d(bias), expected = new double[dx.length];
                for (int i = 0; i < dx.length; i++) {
                    double v = (float) (dx[i] + db[i % cols]); // the sum is a float, as in the two-op form
                    expected[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                }
                assertClose(expected, ActivationOps.biasGelu(x, bias).toFloatArray(), 1e-5);
            }
            GradCheck.check("biasGelu", List.of(x, bias), in -> ActivationOps.biasGelu(in.get(0), in.get(1)));
        }
        Tensor x = randn(6, 32).requiresGrad(true), bias = randn(32).requiresGrad(true);
        Tensor w = randn(6, 32);
        float[][] fused = valueAndGrads(x, bias, w, ActivationOps::biasGelu);
        float[][] twoOps = valueAndGrads(x, bias, w, (a, b) -> ActivationOps.gelu(ElementwiseOps.add(a, b)));
        for (int i = 0; i < 3; i++) assertArrayEquals(twoOps[i], fused[i], "output / dx / dbias " + i);
        x.zeroGrad();
        bias.zeroGrad();
    }

    /** f(x, bias)'s values, and the gradients of x and bias for the loss sum(f · w). */
    private static float[][] valueAndGrads(Tensor x, Tensor bias, Tensor w, BinaryOperator<Tensor> f) {
        x.zeroGrad();
        bias.zeroGrad();
        try (var s = Scope.open()) {
            Tensor y = f.apply(x, bias);
            ReduceOps.sum(ElementwiseOps.mul(y, w)).backward();
            return new float[][] {y.toFloatArray(), x.grad().toFloatArray(), bias.grad().toFloatArray()};
        }
    }

    // ---------------------------------------------------------------- embedding, attention, loss

    @Test
    void embeddingGathersRowsAndScatterAddsGradients() {
        Tensor table = randn(6, 5);
        Tensor idx = Tensor.ofInts(new int[] {1, 4, 1, 0, 5, 1}, 2, 3);
        owned.add(idx);
        try (var s = Scope.open()) {
            float[] out = EmbeddingOps.embedding(idx, table).toFloatArray();
            float[] t = table.toFloatArray();
            int[] ids = idx.toIntArray();
            for (int r = 0; r < 6; r++) {
                for (int c = 0; c < 5; c++) assertEquals(t[ids[r] * 5 + c], out[r * 5 + c]);
            }
        }
        GradCheck.check("embedding", List.of(idx, table), in -> EmbeddingOps.embedding(in.get(0), in.get(1)));
    }

    @Test
    void tiedEmbeddingAddsItsRowsIntoTheHeadsGradientInPlace() {
        // GPT-2's tying: the table embeds the ids and is the output head. Backward reaches the head's matmul
        // first, so the embedding finds table.grad set and scatter-adds into it; both contributions must count.
        Tensor table = randn(6, 5);
        Tensor idx = Tensor.ofInts(new int[] {1, 4, 1, 0, 5, 1}, 2, 3);
        owned.add(idx);
        GradCheck.check("tied embedding", List.of(idx, table), in -> {
            Tensor h = EmbeddingOps.embedding(in.get(0), in.get(1)).view(6, 5);
            return MatmulOps.matmul(ElementwiseOps.tanh(h), in.get(1).t()); // [6 tokens, 6 vocabulary]
        });
    }

    /** Causal attention in float64 over [B, T, H·D] q/k/v with a key padding mask. */
    private static double[] attentionRef(double[] q, int qStride, int qCol, double[] k, int kStride, int kCol,
                                         double[] v, int vStride, int vCol, int[] mask, int b, int t, int h,
                                         int hkv, int dd) {
        double[] out = new double[b * t * h * dd];
        double scale = 1 / Math.sqrt(dd);
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int kh = hi / (h / hkv);
                for (int i = 0; i < t; i++) {
                    double[] sc = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        if (mask != null && mask[bi * t + j] == 0) continue;
                        double dot = 0;
                        for (int e = 0; e < dd; e++) {
                            dot += q[(bi * t + i) * qStride + qCol + hi * dd + e] * k[(bi * t + j) * kStride + kCol + kh * dd + e];
                        }
                        sc[j] = dot * scale;
                        max = Math.max(max, sc[j]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue; // no visible key: output 0
                    double z = 0;
                    for (int j = 0; j <= i; j++) {
                        if (mask != null && mask[bi * t + j] == 0) continue;
                        z += Math.exp(sc[j] - max);
                    }
                    for (int j = 0; j <= i; j++) {
                        if (mask != null && mask[bi * t + j] == 0) continue;
                        double p = Math.exp(sc[j] - max) / z;
                        for (int e = 0; e < dd; e++) {
                            out[((bi * t + i) * h + hi) * dd + e] += p * v[(bi * t + j) * vStride + vCol + kh * dd + e];
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void packedCausalSelfAttentionWithPaddingMatchesFloat64AndGradients() {
        int b = 2, t = 5, h = 2, dd = 3, c = h * dd;
        Tensor qkv = randn(b, t, 3 * c);
        Tensor mask = Tensor.ofInts(new int[] {1, 1, 1, 1, 1, 0, 0, 1, 1, 1}, b, t); // second row left-padded
        owned.add(mask);
        try (var s = Scope.open()) {
            double[] x = d(qkv);
            double[] ref = attentionRef(x, 3 * c, 0, x, 3 * c, c, x, 3 * c, 2 * c, mask.toIntArray(), b, t, h, h, dd);
            assertClose(ref, AttentionOps.causalSelfAttention(qkv, h, mask).toFloatArray(), 1e-5);
        }
        GradCheck.check("attention", List.of(qkv), in -> AttentionOps.causalSelfAttention(in.get(0), h, null));
        GradCheck.check("attention+mask", List.of(qkv, mask), in -> AttentionOps.causalSelfAttention(in.get(0), h, in.get(1)));
    }

    @Test
    void groupedQueryAttentionMatchesFloat64AndGradients() {
        int b = 1, t = 6, h = 4, hkv = 2, dd = 3;
        Tensor q = randn(b, t, h * dd), k = randn(b, t, hkv * dd), v = randn(b, t, hkv * dd);
        try (var s = Scope.open()) {
            double[] ref = attentionRef(d(q), h * dd, 0, d(k), hkv * dd, 0, d(v), hkv * dd, 0, null, b, t, h, hkv, dd);
            assertClose(ref, AttentionOps.causalAttention(q, k, v, h, hkv, null).toFloatArray(), 1e-5);
        }
        GradCheck.check("gqa", List.of(q, k, v), in -> AttentionOps.causalAttention(in.get(0), in.get(1), in.get(2), h, hkv, null));
    }

    @Test
    void crossEntropyWithIgnoreIndexMatchesFloat64AndGradients() {
        int n = 5, vocab = 13;
        Tensor logits = randn(n, vocab);
        Tensor targets = Tensor.ofInts(new int[] {3, LossOps.IGNORE_INDEX, 12, 0, 3});
        owned.add(targets);
        try (var s = Scope.open()) {
            double[] l = d(logits);
            int[] y = targets.toIntArray();
            double total = 0;
            int counted = 0;
            for (int r = 0; r < n; r++) {
                if (y[r] == LossOps.IGNORE_INDEX) continue;
                double z = 0;
                for (int j = 0; j < vocab; j++) z += Math.exp(l[r * vocab + j]);
                total += Math.log(z) - l[r * vocab + y[r]];
                counted++;
            }
            assertEquals(total / counted, LossOps.crossEntropy(logits, targets, LossOps.IGNORE_INDEX).item(), 1e-5);
        }
        GradCheck.check("crossEntropy", List.of(logits, targets), in -> LossOps.crossEntropy(in.get(0), in.get(1), LossOps.IGNORE_INDEX));
        GradCheck.check("crossEntropyPerRow", List.of(logits, targets),
                in -> LossOps.crossEntropyPerRow(in.get(0), in.get(1), LossOps.IGNORE_INDEX));
    }

    // ---------------------------------------------------------------- views and graph structure

    @Test
    void viewsSliceAndTransposeAreDifferentiable() {
        Tensor x = randn(4, 6);
        GradCheck.check("view", List.of(x), in -> ElementwiseOps.tanh(in.get(0).view(3, 8)));
        GradCheck.check("slice", List.of(x), in -> ElementwiseOps.tanh(in.get(0).slice(1, 3)));
        GradCheck.check("t+contiguous", List.of(x), in -> ElementwiseOps.tanh(in.get(0).t().contiguous()));
    }

    @Test
    void sharedSubexpressionsAndRepeatedParametersAccumulate() {
        Tensor x = randn(3, 4), w = randn(4, 4);
        // y = tanh(x W) used twice, and W used in two products.
        GradCheck.check("shared", List.of(x, w), in -> {
            Tensor y = ElementwiseOps.tanh(MatmulOps.matmul(in.get(0), in.get(1)));
            Tensor z = MatmulOps.matmul(y, in.get(1));
            return ElementwiseOps.add(ElementwiseOps.mul(y, y), z);
        });
    }
}
