package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.lathe.core.cpu.SegmentTestUtil.assertClose;
import static dev.lathe.core.cpu.SegmentTestUtil.doubles;
import static dev.lathe.core.cpu.SegmentTestUtil.floats;
import static dev.lathe.core.cpu.SegmentTestUtil.gaussian;
import static dev.lathe.core.cpu.SegmentTestUtil.ints;
import static dev.lathe.core.cpu.SegmentTestUtil.numericGrad;
import static dev.lathe.core.cpu.SegmentTestUtil.row;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuCrossEntropyTest {
    private static final int IGNORE = -100;
    private static final double H = 1e-3;

    @ParameterizedTest(name = "N={0} V={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void forwardMatchesFloat64(int N, int V) {
        Random rnd = new Random(31L * N + V);
        checkForward(N, V, gaussian(rnd, N * V, 0, 2), targets(rnd, N, V), 1e-5);
    }

    /** GPT-2's vocabulary: the row log-sum-exp over 50257 logits must stay at float64 accuracy. */
    @Test
    void forwardLargeVocabulary() {
        Random rnd = new Random(50257);
        int N = 3, V = 50257;
        double[] logits = gaussian(rnd, N * V, 0, 4);
        logits[V + 17] = 30;  // one dominant logit in row 1
        checkForward(N, V, logits, new int[] {V - 1, 17, IGNORE}, 1e-5);
    }

    private static void checkForward(int N, int V, double[] logits, int[] targets, double rtol) {
        MemorySegment losses = floats(N), lse = floats(N);
        CpuCrossEntropy.forward(N, V, floats(logits), ints(targets), IGNORE, losses, lse);
        double[] eLoss = new double[N], eLse = new double[N];
        for (int i = 0; i < N; i++) {
            double[] xr = row(logits, i, V);
            eLse[i] = logSumExp(xr);
            eLoss[i] = rowLoss(xr, targets[i]);
        }
        assertClose(eLse, lse, rtol, 1e-6, "lse");
        assertClose(eLoss, losses, rtol, 1e-6, "losses");
    }

    @ParameterizedTest(name = "N={0} V={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void backwardMatchesFiniteDifferences(int N, int V) {
        Random rnd = new Random(17L * N + V);
        double[] logits = gaussian(rnd, N * V, 0, 2), dlosses = gaussian(rnd, N, 0, 1);
        int[] targets = targets(rnd, N, V);
        MemorySegment dlogits = runBackward(N, V, logits, targets, dlosses);

        double[] expected = new double[N * V];
        for (int i = 0; i < N; i++) {
            int t = targets[i];
            double dl = dlosses[i];
            double[] g = numericGrad(row(logits, i, V), p -> dl * rowLoss(p, t), H);
            System.arraycopy(g, 0, expected, i * V, V);
        }
        assertClose(expected, dlogits, 1e-3, 1e-6, "dlogits");
    }

    /** Finite differences at a sample of columns of 50257 (tail column and targets included). */
    @Test
    void backwardLargeVocabulary() {
        Random rnd = new Random(1);
        int N = 3, V = 50257;
        double[] logits = gaussian(rnd, N * V, 0, 4), dlosses = {0.7, -1.3, 2.0};
        int[] targets = {5, IGNORE, V - 1};
        double[] dl = doubles(runBackward(N, V, logits, targets, dlosses), N * V);
        int[] cols = {0, 5, 7, 8, 1000, 31337, V - 9, V - 2, V - 1};
        for (int i = 0; i < N; i++) {
            int t = targets[i];
            double d = dlosses[i];
            double[] expected = numericGrad(row(logits, i, V), p -> d * rowLoss(p, t), H, cols);
            double[] actual = new double[cols.length];
            for (int k = 0; k < cols.length; k++) actual[k] = dl[i * V + cols[k]];
            assertClose(expected, actual, 1e-3, 1e-9, "dlogits row " + i);
        }
    }

    private static MemorySegment runBackward(int N, int V, double[] logits, int[] targets, double[] dlosses) {
        MemorySegment x = floats(logits), t = ints(targets), lse = floats(N), dlogits = floats(N * V);
        CpuCrossEntropy.forward(N, V, x, t, IGNORE, floats(N), lse);
        CpuCrossEntropy.backward(N, V, x, t, IGNORE, lse, floats(dlosses), dlogits);
        return dlogits;
    }

    @Test
    void targetOutsideVocabularyThrows() {
        int N = 3, V = 7;
        MemorySegment logits = floats(N * V), lse = floats(N), dlosses = floats(N), out = floats(N * V);
        for (int bad : new int[] {V, -1}) {
            MemorySegment t = ints(new int[] {0, bad, IGNORE});
            String fwd = assertThrows(IllegalArgumentException.class,
                    () -> CpuCrossEntropy.forward(N, V, logits, t, IGNORE, lse, lse)).getMessage();
            String bwd = assertThrows(IllegalArgumentException.class,
                    () -> CpuCrossEntropy.backward(N, V, logits, t, IGNORE, lse, dlosses, out)).getMessage();
            for (String m : new String[] {fwd, bwd}) {
                assertTrue(m.contains("row 1") && m.contains("is " + bad), m);
            }
        }
    }

    /** Random targets with every third row (1, 4, 7, ...) ignored. */
    private static int[] targets(Random rnd, int N, int V) {
        int[] t = new int[N];
        for (int i = 0; i < N; i++) t[i] = i % 3 == 1 ? IGNORE : rnd.nextInt(V);
        return t;
    }

    private static double logSumExp(double[] xr) {
        double mx = Double.NEGATIVE_INFINITY, s = 0;
        for (double v : xr) mx = Math.max(mx, v);
        for (double v : xr) s += Math.exp(v - mx);
        return mx + Math.log(s);
    }

    /** The float64 reference loss of one row. */
    private static double rowLoss(double[] xr, int target) {
        return target == IGNORE ? 0 : logSumExp(xr) - xr[target];
    }
}
