package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static dev.lathe.kernels.Close.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.core.ops.ReduceOps;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FusedLinearLogProbsTest {
    private static final int N = 37, D = 19, V = 1031;
    /** Five rows of logits a chunk: 37 rows (29 counted) do not divide into it. */
    private static final long CHUNK = 5L * V * Float.BYTES + 7;

    /** A random problem: h ~ N(0, 1), w ~ N(0, 0.5²), about one target in four ignored (−100). */
    private record Problem(float[] h, float[] w, int[] y) {
        static Problem random(long seed, int n, int d, int v) {
            Random rng = new Random(seed);
            float[] h = new float[n * d], w = new float[v * d];
            for (int i = 0; i < h.length; i++) h[i] = (float) rng.nextGaussian();
            for (int i = 0; i < w.length; i++) w[i] = (float) (0.5 * rng.nextGaussian());
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = rng.nextInt(4) == 0 ? LossOps.IGNORE_INDEX : rng.nextInt(v);
            return new Problem(h, w, y);
        }

        Float64LogProbs reference(int n, int d, int v) {
            return new Float64LogProbs(h, w, y, n, d, v);
        }
    }

    private static double[] gaussian(long seed, int n) {
        Random rng = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rng.nextGaussian();
        return x;
    }

    private static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    @Test
    void twoPassValuesAndGradientsMatchFloat64() {
        Problem p = Problem.random(1, N, D, V);
        Float64LogProbs ref = p.reference(N, D, V);
        double[] a = gaussian(2, N), b = gaussian(3, N);
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), N, D).requiresGrad(true), w = Tensor.of(p.w(), V, D).requiresGrad(true);
            var out = FusedLinearLogProbs.forward(h, w, Tensor.ofInts(p.y()), true, CHUNK);
            assertClose("logp", ref.logp, out.logp().toFloatArray(), 1e-5, 0.1);
            assertClose("entropy", ref.entropy, out.entropy().toFloatArray(), 1e-5, 0.1);
            // L = Σ a·logp + Σ b·entropy
            Tensor loss = ElementwiseOps.add(
                    ReduceOps.sum(ElementwiseOps.mul(out.logp(), Tensor.of(floats(a), N))),
                    ReduceOps.sum(ElementwiseOps.mul(out.entropy(), Tensor.of(floats(b), N))));
            loss.backward();
            double[][] want = ref.gradients(a, b);
            assertCloseToScale("dh", want[0], h.grad().toFloatArray(), 1e-5);
            assertCloseToScale("dw", want[1], w.grad().toFloatArray(), 1e-5);
            h.zeroGrad();
            w.zeroGrad();
        }
    }

    @Test
    void fusedSinglePassMatchesTwoPassAndFloat64() {
        Problem p = Problem.random(4, N, D, V);
        Float64LogProbs ref = p.reference(N, D, V);
        double[] weights = gaussian(5, N);
        double objective = 0;
        for (int i = 0; i < N; i++) if (p.y()[i] != LossOps.IGNORE_INDEX) objective += weights[i] * ref.logp[i];
        double[][] want = ref.gradients(weights, null);
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), N, D).requiresGrad(true), w = Tensor.of(p.w(), V, D).requiresGrad(true);
            Tensor y = Tensor.ofInts(p.y()), wt = Tensor.of(floats(weights), N);
            var fused = FusedLinearLogProbs.forwardBackward(h, w, y, wt, CHUNK);
            assertClose("logp", ref.logp, fused.logp().toFloatArray(), 1e-5, 0.1);
            assertClose("objective", objective, fused.objective().item(), 1e-5, 1);
            // Upstream 3: the precomputed gradients are scaled.
            fused.objective().backward(Tensor.scalar(3f));
            double[] dh3 = want[0].clone(), dw3 = want[1].clone();
            for (int i = 0; i < dh3.length; i++) dh3[i] *= 3;
            for (int i = 0; i < dw3.length; i++) dw3[i] *= 3;
            assertCloseToScale("fused dh", dh3, h.grad().toFloatArray(), 1e-5);
            assertCloseToScale("fused dw", dw3, w.grad().toFloatArray(), 1e-5);
            float[] fusedDh = h.grad().toFloatArray(), fusedDw = w.grad().toFloatArray();
            h.zeroGrad();
            w.zeroGrad();

            var twoPass = FusedLinearLogProbs.forward(h, w, y, false, CHUNK);
            ElementwiseOps.scale(ReduceOps.sum(ElementwiseOps.mul(twoPass.logp(), wt)), 3f).backward();
            assertClose("fused vs two-pass logp", widen(twoPass.logp().toFloatArray()), fused.logp().toFloatArray(), 1e-6, 0.1);
            assertCloseToScale("fused vs two-pass dh", widen(h.grad().toFloatArray()), fusedDh, 1e-6);
            assertCloseToScale("fused vs two-pass dw", widen(w.grad().toFloatArray()), fusedDw, 1e-6);
            h.zeroGrad();
            w.zeroGrad();
        }
    }

    @Test
    void matchesTheUnfusedAutogradComposition() {
        Problem p = Problem.random(6, N, D, V);
        double[] weights = gaussian(7, N);
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), N, D).requiresGrad(true), w = Tensor.of(p.w(), V, D).requiresGrad(true);
            Tensor y = Tensor.ofInts(p.y()), wt = Tensor.of(floats(weights), N);
            // logp = −crossEntropyPerRow(h Wᵀ, y): the framework's unfused route through the [N, V] logits.
            Tensor logp = ElementwiseOps.neg(LossOps.crossEntropyPerRow(MatmulOps.matmul(h, w.t()), y, LossOps.IGNORE_INDEX));
            ReduceOps.sum(ElementwiseOps.mul(logp, wt)).backward();
            double[] dh = widen(h.grad().toFloatArray()), dw = widen(w.grad().toFloatArray());
            h.zeroGrad();
            w.zeroGrad();
            var fused = FusedLinearLogProbs.forwardBackward(h, w, y, wt, CHUNK);
            fused.objective().backward();
            assertClose("logp", widen(logp.toFloatArray()), fused.logp().toFloatArray(), 1e-5, 0.1);
            assertCloseToScale("dh", dh, h.grad().toFloatArray(), 1e-5);
            assertCloseToScale("dw", dw, w.grad().toFloatArray(), 1e-5);
            h.zeroGrad();
            w.zeroGrad();
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesOfTheFloat64Forward() {
        int n = 3, d = 4, v = 13;
        Problem p = Problem.random(8, n, d, v);
        p.y()[1] = 5; // at least two counted rows
        p.y()[2] = LossOps.IGNORE_INDEX;
        double[] a = gaussian(9, n), b = gaussian(10, n);
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), n, d).requiresGrad(true), w = Tensor.of(p.w(), v, d).requiresGrad(true);
            var out = FusedLinearLogProbs.forward(h, w, Tensor.ofInts(p.y()), true, 2L * v * Float.BYTES);
            ElementwiseOps.add(ReduceOps.sum(ElementwiseOps.mul(out.logp(), Tensor.of(floats(a), n))),
                    ReduceOps.sum(ElementwiseOps.mul(out.entropy(), Tensor.of(floats(b), n)))).backward();
            float[] dh = h.grad().toFloatArray(), dw = w.grad().toFloatArray();
            h.zeroGrad();
            w.zeroGrad();
            assertClose("dh", numeric(p, n, d, v, a, b, true), dh, 1e-4, 1e-2);
            assertClose("dw", numeric(p, n, d, v, a, b, false), dw, 1e-4, 1e-2);
        }
    }

    /** Central differences (float64, step 1e-6) of Σ a·logp + Σ b·entropy with respect to h or w. */
    private static double[] numeric(Problem p, int n, int d, int v, double[] a, double[] b, boolean wrtH) {
        double[] x = widen(wrtH ? p.h() : p.w());
        double[] grad = new double[x.length];
        double eps = 1e-6;
        for (int i = 0; i < x.length; i++) {
            double[] plus = x.clone(), minus = x.clone();
            plus[i] += eps;
            minus[i] -= eps;
            grad[i] = (objective64(p, plus, wrtH, n, d, v, a, b) - objective64(p, minus, wrtH, n, d, v, a, b)) / (2 * eps);
        }
        return grad;
    }

    private static double objective64(Problem p, double[] x, boolean wrtH, int n, int d, int v, double[] a, double[] b) {
        double[] h = wrtH ? x : widen(p.h()), w = wrtH ? widen(p.w()) : x;
        double total = 0;
        for (int i = 0; i < n; i++) {
            if (p.y()[i] == LossOps.IGNORE_INDEX) continue;
            double[] logits = new double[v];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < v; k++) {
                for (int j = 0; j < d; j++) logits[k] += h[i * d + j] * w[k * d + j];
                max = Math.max(max, logits[k]);
            }
            for (int k = 0; k < v; k++) sum += Math.exp(logits[k] - max);
            double lse = max + Math.log(sum), ent = 0;
            for (int k = 0; k < v; k++) ent -= Math.exp(logits[k] - lse) * (logits[k] - lse);
            total += a[i] * (logits[p.y()[i]] - lse) + b[i] * ent;
        }
        return total;
    }

    @Test
    void gpt2VocabularyLogSumExpStaysAccurate() {
        int n = 4, d = 32, v = 50257;
        Problem p = Problem.random(11, n, d, v);
        p.y()[0] = 50256;
        Float64LogProbs ref = p.reference(n, d, v);
        double[] weights = gaussian(12, n);
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), n, d).requiresGrad(true), w = Tensor.of(p.w(), v, d).requiresGrad(true);
            Tensor y = Tensor.ofInts(p.y());
            var out = FusedLinearLogProbs.forward(h, w, y, true);
            // The fixtures' tolerance for log-probs: 1e-4 · max(|want|, 0.1).
            assertClose("logp", ref.logp, out.logp().toFloatArray(), 1e-5, 0.1);
            assertClose("entropy", ref.entropy, out.entropy().toFloatArray(), 1e-5, 0.1);
            var fused = FusedLinearLogProbs.forwardBackward(h, w, y, Tensor.of(floats(weights), n), 3L * v * Float.BYTES);
            assertClose("fused logp", ref.logp, fused.logp().toFloatArray(), 1e-5, 0.1);
            fused.objective().backward();
            double[][] want = ref.gradients(weights, null);
            assertCloseToScale("dh", want[0], h.grad().toFloatArray(), 1e-5);
            assertCloseToScale("dw", want[1], w.grad().toFloatArray(), 1e-5);
            h.zeroGrad();
            w.zeroGrad();
        }
    }

    @Test
    void ignoredRowsGetZeroAndNoGradient() {
        Problem p = Problem.random(13, 6, 5, 17);
        int[] y = {LossOps.IGNORE_INDEX, 3, LossOps.IGNORE_INDEX, LossOps.IGNORE_INDEX, 16, LossOps.IGNORE_INDEX};
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), 6, 5).requiresGrad(true), w = Tensor.of(p.w(), 17, 5).requiresGrad(true);
            var fused = FusedLinearLogProbs.forwardBackward(h, w, Tensor.ofInts(y), Tensor.full(1f, 6), 1);
            fused.objective().backward();
            float[] logp = fused.logp().toFloatArray(), dh = h.grad().toFloatArray();
            for (int i = 0; i < 6; i++) {
                boolean ignored = y[i] == LossOps.IGNORE_INDEX;
                assertEquals(ignored, logp[i] == 0f, "row " + i);
                for (int j = 0; j < 5; j++) assertEquals(ignored, dh[i * 5 + j] == 0f, "dh row " + i);
            }
            h.zeroGrad();
            w.zeroGrad();

            Tensor allIgnored = Tensor.ofInts(new int[] {-100, -100, -100, -100, -100, -100});
            var none = FusedLinearLogProbs.forwardBackward(h, w, allIgnored, Tensor.full(1f, 6));
            none.objective().backward();
            assertEquals(0f, none.objective().item());
            for (float g : w.grad().toFloatArray()) assertEquals(0f, g);
            h.zeroGrad();
            w.zeroGrad();

            Tensor bad = Tensor.ofInts(new int[] {0, 1, 17, 2, 3, 4});
            var e = assertThrows(IllegalArgumentException.class, () -> FusedLinearLogProbs.forward(h, w, bad, false));
            assertTrue(e.getMessage().contains("row 2"), e.getMessage());
        }
    }

    @Test
    void neverHoldsTheFullLogits() {
        int n = 256, d = 16, v = 1031;
        Problem p = Problem.random(14, n, d, v);
        long fullLogits = (long) n * v * Float.BYTES;
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(p.h(), n, d).requiresGrad(true), w = Tensor.of(p.w(), v, d).requiresGrad(true);
            Tensor y = Tensor.ofInts(p.y()), wt = Tensor.full(1f, n);
            long before = HostAllocator.liveBytes();
            HostAllocator.resetPeak();
            FusedLinearLogProbs.forwardBackward(h, w, y, wt, 16L * v * Float.BYTES).objective().backward();
            long extra = HostAllocator.peakBytes() - before;
            // dh + dw (and w's accumulated copy) + 16 rows of logits: far below one [N, V] logits tensor.
            assertTrue(extra < fullLogits / 2, "peak " + extra + " bytes vs full logits " + fullLogits);
            h.zeroGrad();
            w.zeroGrad();
        }
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
