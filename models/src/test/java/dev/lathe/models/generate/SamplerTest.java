package dev.lathe.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Sampler against float64 references: greedy is argmax, sampling frequencies follow softmax(logits / T)
 * restricted by top-k then top-p, seeds reproduce, and log-probabilities are log_softmax of the raw logits.
 */
class SamplerTest {
    private static final int DRAWS = 20_000;

    @Test
    void greedyIsArgmaxWithRawLogProbs() {
        float[][] logits = randomRows(new Random(1), 6, 1000, 3f);
        logits[2][17] = logits[2][400] = 50f; // tie: the first index wins, as torch.argmax
        Samples s = new Sampler(SamplingConfig.greedy()).sample(logits);
        for (int b = 0; b < logits.length; b++) {
            assertEquals(referenceArgmax(logits[b]), s.tokens()[b], "row " + b);
            assertEquals(logSoftmax(logits[b])[s.tokens()[b]], s.logProbs()[b], 1e-5, "row " + b);
            assertEquals(0f, s.processedLogProbs()[b]);
        }
        assertEquals(17, s.tokens()[2]);
    }

    @Test
    void topKOneIsGreedy() {
        float[][] logits = randomRows(new Random(2), 8, 500, 2f);
        Samples greedy = new Sampler(SamplingConfig.greedy()).sample(logits);
        Samples topOne = new Sampler(new SamplingConfig(0.7f, 1, 1f, 99)).sample(logits);
        assertArrayEquals(greedy.tokens(), topOne.tokens());
        assertArrayEquals(greedy.logProbs(), topOne.logProbs());
        for (float p : topOne.processedLogProbs()) assertEquals(0.0, p, 1e-12); // the kept set is one token
    }

    @Test
    void sameSeedSameTokens() {
        float[][] logits = randomRows(new Random(3), 64, 300, 1f);
        var config = new SamplingConfig(1.1f, 40, 0.9f, 1234);
        Sampler a = new Sampler(config), b = new Sampler(config);
        for (int step = 0; step < 3; step++) assertArrayEquals(a.sample(logits).tokens(), b.sample(logits).tokens());
        Samples other = new Sampler(new SamplingConfig(1.1f, 40, 0.9f, 1235)).sample(logits);
        assertFalse(Arrays.equals(new Sampler(config).sample(logits).tokens(), other.tokens()), "the seed must matter");
    }

    @Test
    void frequenciesFollowTheProcessedDistribution() {
        float[] logits = {0.3f, -1.2f, 2.0f, 1.1f, 0.0f, -0.4f, 1.7f, 0.9f, -2.5f, 0.6f};
        checkFrequencies(logits, new SamplingConfig(0.8f, 0, 1f, 11));
        checkFrequencies(logits, new SamplingConfig(1.3f, 4, 1f, 12));
        checkFrequencies(logits, new SamplingConfig(1.0f, 0, 0.7f, 13));
        checkFrequencies(logits, new SamplingConfig(0.9f, 6, 0.8f, 14));
        checkFrequencies(logits, new SamplingConfig(2.0f, 3, 0.95f, 15));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // Probabilities 0.5, 0.3, 0.15, 0.05 placed out of index order.
        float[] logits = new float[4];
        logits[2] = (float) Math.log(0.5);
        logits[0] = (float) Math.log(0.3);
        logits[3] = (float) Math.log(0.15);
        logits[1] = (float) Math.log(0.05);
        assertEquals(Set.of(2), sampledSet(logits, 0.3f));
        assertEquals(Set.of(2, 0), sampledSet(logits, 0.75f));
        assertEquals(Set.of(2, 0, 3), sampledSet(logits, 0.85f));
        assertEquals(Set.of(2, 0, 3, 1), sampledSet(logits, 0.99f));
    }

    @Test
    void topKKeepsTiesWithTheKthLogit() {
        float[] logits = {1f, 3f, 3f, 2f};
        assertEquals(Set.of(1, 2), sampledSetTopK(logits, 1));
        assertEquals(Set.of(1, 2, 3), sampledSetTopK(logits, 3));
    }

    @Test
    void logProbsAreLogSoftmaxOfTheRawLogits() {
        float[][] logits = randomRows(new Random(5), 16, 5000, 4f);
        Samples s = new Sampler(new SamplingConfig(0.6f, 50, 0.9f, 7)).sample(logits);
        for (int b = 0; b < logits.length; b++) {
            double expected = logSoftmax(logits[b])[s.tokens()[b]];
            assertEquals(expected, s.logProbs()[b], 1e-6 * (1 + Math.abs(expected)), "row " + b);
        }
    }

    @Test
    void tensorInputUsesEachRowsLastPosition() {
        float[][] rows = randomRows(new Random(6), 3, 50, 2f);
        float[] bt = new float[3 * 2 * 50]; // [B=3, T=2, V=50]: position 0 is noise, position 1 is rows
        Random noise = new Random(7);
        for (int b = 0; b < 3; b++) {
            for (int v = 0; v < 50; v++) bt[(b * 2) * 50 + v] = 10 * noise.nextFloat();
            System.arraycopy(rows[b], 0, bt, (b * 2 + 1) * 50, 50);
        }
        var config = new SamplingConfig(1f, 0, 1f, 8);
        try (var s = Scope.open()) {
            Samples fromRows = new Sampler(config).sample(rows);
            Samples fromBtv = new Sampler(config).sample(Tensor.of(bt, 3, 2, 50));
            assertArrayEquals(fromRows.tokens(), fromBtv.tokens());
            assertArrayEquals(fromRows.logProbs(), fromBtv.logProbs());
            float[] flat = new float[150];
            for (int b = 0; b < 3; b++) System.arraycopy(rows[b], 0, flat, b * 50, 50);
            assertArrayEquals(fromRows.tokens(), new Sampler(config).sample(Tensor.of(flat, 3, 50)).tokens());
        }
    }

    @Test
    void rejectsBadConfigsAndLogits() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(-1f, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, -1, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1f, 0, 1.5f, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new Sampler(SamplingConfig.greedy()).sample(new float[][] {{0f, Float.NaN}}));
    }

    @Test
    void quickSelectMovesTheKSmallestToTheFront() {
        Random rnd = new Random(9);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(300), k = 1 + rnd.nextInt(n);
            long[] a = rnd.longs(n).distinct().toArray();
            if (k > a.length) continue;
            long[] sorted = a.clone();
            Arrays.sort(sorted);
            QuickSelect.smallest(a, k);
            assertEquals(sorted[k - 1], a[k - 1]);
            long[] front = Arrays.copyOf(a, k);
            Arrays.sort(front);
            assertArrayEquals(Arrays.copyOf(sorted, k), front);
        }
    }

    // ---- helpers and float64 references ----

    /** DRAWS rows of the same logits in one call: frequencies within 0.01 of the reference probabilities. */
    private static void checkFrequencies(float[] logits, SamplingConfig config) {
        double[] expected = referenceProbabilities(logits, config);
        float[][] rows = new float[DRAWS][];
        Arrays.fill(rows, logits);
        Samples s = new Sampler(config).sample(rows);
        double[] freq = new double[logits.length];
        for (int t : s.tokens()) freq[t] += 1.0 / DRAWS;
        for (int v = 0; v < logits.length; v++) {
            if (expected[v] == 0) assertEquals(0.0, freq[v], "token " + v + " is filtered out by " + config);
            else assertEquals(expected[v], freq[v], 0.01, "token " + v + " under " + config);
        }
        for (int b = 0; b < 100; b++) {
            assertEquals(Math.log(expected[s.tokens()[b]]), s.processedLogProbs()[b], 1e-5, "processed log-prob");
        }
    }

    /** softmax(logits / T), zeroed outside the top-k (ties kept), renormalised, then outside the top-p nucleus. */
    private static double[] referenceProbabilities(float[] logits, SamplingConfig c) {
        int V = logits.length;
        Integer[] order = IntStream.range(0, V).boxed().sorted(Comparator.comparingDouble(i -> -logits[i])).toArray(Integer[]::new);
        boolean[] keep = new boolean[V];
        Arrays.fill(keep, true);
        if (c.topK() > 0) for (int v = 0; v < V; v++) keep[v] = logits[v] >= logits[order[c.topK() - 1]];
        double[] p = normalised(logits, c.temperature(), keep);
        if (c.topP() < 1f) {
            double before = 0; // probability of the tokens ranked above
            for (int i : order) {
                if (before >= c.topP()) keep[i] = false;
                before += p[i];
            }
            p = normalised(logits, c.temperature(), keep);
        }
        return p;
    }

    private static double[] normalised(float[] logits, float temperature, boolean[] keep) {
        double[] p = new double[logits.length];
        double sum = 0;
        for (int v = 0; v < logits.length; v++) {
            p[v] = keep[v] ? Math.exp(logits[v] / (double) temperature) : 0;
            sum += p[v];
        }
        for (int v = 0; v < logits.length; v++) p[v] /= sum;
        return p;
    }

    private static Set<Integer> sampledSet(float[] logits, float topP) {
        return sampled(logits, new SamplingConfig(1f, 0, topP, 21));
    }

    private static Set<Integer> sampledSetTopK(float[] logits, int topK) {
        return sampled(logits, new SamplingConfig(1f, topK, 1f, 22));
    }

    private static Set<Integer> sampled(float[] logits, SamplingConfig config) {
        float[][] rows = new float[2000][];
        Arrays.fill(rows, logits);
        var set = new TreeSet<Integer>();
        for (int t : new Sampler(config).sample(rows).tokens()) set.add(t);
        return set;
    }

    private static double[] logSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) max = Math.max(max, v);
        for (float v : x) sum += Math.exp(v - max);
        double lse = max + Math.log(sum);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] - lse;
        return out;
    }

    private static int referenceArgmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static float[][] randomRows(Random rnd, int rows, int vocab, float std) {
        float[][] out = new float[rows][vocab];
        for (float[] r : out) for (int v = 0; v < vocab; v++) r[v] = (float) (rnd.nextGaussian() * std);
        return out;
    }

    @Test
    void frequencyCheckDetectsAWrongDistribution() {
        // The reference with top-k applied must differ from plain softmax, or the top-k configs prove nothing.
        float[] logits = {0.3f, -1.2f, 2.0f, 1.1f};
        double[] plain = referenceProbabilities(logits, new SamplingConfig(1f, 0, 1f, 0));
        double[] topTwo = referenceProbabilities(logits, new SamplingConfig(1f, 2, 1f, 0));
        assertTrue(Math.abs(plain[2] - topTwo[2]) > 0.05);
        assertEquals(0.0, topTwo[0]);
    }
}
