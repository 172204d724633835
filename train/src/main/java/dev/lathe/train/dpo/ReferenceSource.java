package dev.lathe.train.dpo;

import dev.lathe.models.CausalLm;
import dev.lathe.train.data.PreferenceExample;
import java.util.List;

/**
 * Where a DPO micro-batch's reference log-probs come from: a frozen reference model run on each micro-batch,
 * numbers precomputed for every row before training, or nothing (reference-free without a reference model).
 */
@FunctionalInterface
public interface ReferenceSource {
    /**
     * The reference log-prob sums of {@code batch}, the examples at dataset indices {@code rows}; null when there
     * is no reference.
     */
    ReferenceLogProbs of(int[] rows, List<PreferenceExample> batch);

    /** {@code reference} run (without autograd) on each micro-batch. */
    static ReferenceSource model(CausalLm reference) {
        return (rows, batch) -> ReferenceLogProbs.of(reference, batch);
    }

    /** No reference: the loss must be reference-free, and rewards are β · the policy's log-probs. */
    static ReferenceSource none() {
        return (rows, batch) -> null;
    }

    /**
     * The log-probs of every example under {@code reference}, computed once, {@code batchSize} rows at a time;
     * micro-batches then pick theirs by dataset index and {@code reference} is no longer needed.
     */
    static ReferenceSource precomputed(CausalLm reference, List<PreferenceExample> examples, int batchSize) {
        int n = examples.size();
        double[] chosen = new double[n], rejected = new double[n];
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            ReferenceLogProbs part = ReferenceLogProbs.of(reference, examples.subList(from, to));
            System.arraycopy(part.chosen(), 0, chosen, from, to - from);
            System.arraycopy(part.rejected(), 0, rejected, from, to - from);
        }
        return (rows, batch) -> {
            double[] c = new double[rows.length], r = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                c[i] = chosen[rows[i]];
                r[i] = rejected[rows[i]];
            }
            return new ReferenceLogProbs(c, r);
        };
    }
}
