package dev.lathe.models.generate;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token of every row from its logits, per a {@link SamplingConfig}, and reports its
 * log-probability under the raw and under the processed distribution (computed in float64).
 *
 * <p>Reproducible: one Sampler per generation holds a {@link SplittableRandom} seeded from the config, and
 * every non-greedy {@link #sample} call draws exactly one uniform per row, in row order, whether or not the
 * caller keeps that row's token; so a run is fully determined by the seed and the logits.
 */
public final class Sampler {
    private final SamplingConfig config;
    private final SplittableRandom random;

    public Sampler(SamplingConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    public SamplingConfig config() {
        return config;
    }

    /** logits F32 [B, V], or [B, T, V] of which each row's last position is used; a device tensor is copied to the host. */
    public Samples sample(Tensor logits) {
        if (logits.device() != Device.CPU) {
            try (Tensor host = logits.to(Device.CPU)) { // sampling runs on the host
                return sample(host);
            }
        }
        if (logits.dtype() != DType.F32 || logits.isTransposed() || (logits.rank() != 2 && logits.rank() != 3)) {
            throw new IllegalArgumentException("logits must be a contiguous F32 [B, V] or [B, T, V] tensor, got " + logits);
        }
        int batch = logits.dim(0), vocab = logits.dim(-1);
        long rowStride = logits.rank() == 3 ? (long) logits.dim(1) * vocab : vocab;
        long last = logits.rank() == 3 ? (long) (logits.dim(1) - 1) * vocab : 0;
        MemorySegment seg = logits.segment();
        float[][] rows = new float[batch][vocab];
        for (int b = 0; b < batch; b++) {
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, (b * rowStride + last) * Float.BYTES, rows[b], 0, vocab);
        }
        return sample(rows);
    }

    /** One row of logits per batch row. */
    public Samples sample(float[][] logits) {
        int batch = logits.length;
        int[] tokens = new int[batch];
        float[] logProbs = new float[batch], processed = new float[batch];
        for (int b = 0; b < batch; b++) {
            float[] row = logits[b];
            double lse = logSumExp(row, b);
            if (config.isGreedy()) {
                tokens[b] = argmax(row);
                processed[b] = 0f;
            } else {
                double u = random.nextDouble();
                Choice c = draw(row, u);
                tokens[b] = c.token();
                processed[b] = (float) c.logProb();
            }
            logProbs[b] = (float) (row[tokens[b]] - lse);
        }
        return new Samples(tokens, logProbs, processed);
    }

    /** A sampled token and its log-probability under the processed distribution. */
    private record Choice(int token, double logProb) {}

    /**
     * Samples from softmax(row / T) restricted to the kept set, walking the kept tokens in a fixed order and
     * returning the first whose cumulative weight exceeds u * (total kept weight).
     */
    private Choice draw(float[] row, double u) {
        double invT = 1.0 / config.temperature();
        double max = row[argmax(row)] * invT;
        int[] kept = keptTokens(row);
        double[] w = new double[kept.length];
        double total = 0;
        for (int i = 0; i < kept.length; i++) {
            w[i] = Math.exp(row[kept[i]] * invT - max);
            total += w[i];
        }
        if (config.topP() < 1f) {
            // kept is sorted by descending logit: keep the shortest prefix reaching topP (at least one token).
            double cumulative = 0;
            int n = 0;
            while (n < kept.length && cumulative < config.topP() * total) cumulative += w[n++];
            kept = Arrays.copyOf(kept, Math.max(1, n));
            total = 0;
            for (int i = 0; i < kept.length; i++) total += w[i];
        }
        double target = u * total, cumulative = 0;
        int pick = kept.length - 1; // rounding can leave target just above the last cumulative sum
        for (int i = 0; i < kept.length; i++) {
            cumulative += w[i];
            if (cumulative > target) {
                pick = i;
                break;
            }
        }
        return new Choice(kept[pick], Math.log(w[pick] / total));
    }

    /**
     * The tokens that survive top-k: all of them in index order when top-k and top-p are off; otherwise sorted
     * by descending logit (ties by index), which top-p needs.
     */
    private int[] keptTokens(float[] row) {
        int vocab = row.length;
        boolean topK = config.topK() > 0 && config.topK() < vocab;
        if (!topK && config.topP() >= 1f) {
            int[] all = new int[vocab];
            Arrays.setAll(all, i -> i);
            return all;
        }
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) keys[i] = descendingKey(row[i], i);
        int n = vocab;
        if (topK) {
            // Hugging Face keeps every logit >= the k-th largest, so ties with it survive.
            QuickSelect.smallest(keys, config.topK());
            long threshold = keys[config.topK() - 1] >> 32;
            n = 0;
            for (int i = 0; i < vocab; i++) if (keys[i] >> 32 <= threshold) keys[n++] = keys[i];
        }
        Arrays.sort(keys, 0, n);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = (int) keys[i];
        return tokens;
    }

    /** A long whose ascending order is descending logit, then ascending token id (token in the low 32 bits). */
    private static long descendingKey(float logit, int token) {
        int bits = Float.floatToRawIntBits(logit == 0f ? 0f : logit); // -0 and +0 tie
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // signed order = float order
        return ((long) ~ordered << 32) | token;
    }

    /** log(sum exp(row)) in float64; rejects rows with NaN or no finite logit. */
    private static double logSumExp(float[] row, int b) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : row) max = Math.max(max, x);
        double sum = 0;
        for (float x : row) sum += Math.exp(x - max);
        double lse = max + Math.log(sum);
        if (!Double.isFinite(lse)) throw new IllegalArgumentException("logits row " + b + " has NaN or no finite value");
        return lse;
    }

    /** Index of the largest logit, the first one on ties (as torch.argmax). */
    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
