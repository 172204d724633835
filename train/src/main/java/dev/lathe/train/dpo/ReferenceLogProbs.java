package dev.lathe.train.dpo;

import dev.lathe.core.Scope;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.CausalLm;
import dev.lathe.train.data.PreferenceExample;
import java.util.Arrays;
import java.util.List;

/**
 * The reference model's completion log-prob sums of preference rows (TRL's ref_chosen_logps /
 * ref_rejected_logps), as plain numbers: computed once per micro-batch, or precomputed for the whole dataset
 * and sliced per micro-batch.
 */
public record ReferenceLogProbs(double[] chosen, double[] rejected) {
    public ReferenceLogProbs {
        if (chosen.length != rejected.length) {
            throw new IllegalArgumentException(chosen.length + " chosen but " + rejected.length + " rejected log-probs");
        }
    }

    /** Σ log p of each row's chosen and rejected completion under {@code reference}, without autograd. */
    public static ReferenceLogProbs of(CausalLm reference, List<PreferenceExample> rows) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            float[] sums = DpoObjective.logProbs(reference, rows).sums().toFloatArray();
            int b = rows.size();
            double[] chosen = new double[b], rejected = new double[b];
            for (int i = 0; i < b; i++) {
                chosen[i] = sums[i];
                rejected[i] = sums[b + i];
            }
            return new ReferenceLogProbs(chosen, rejected);
        }
    }

    public int size() {
        return chosen.length;
    }

    /** Rows [from, to). */
    public ReferenceLogProbs slice(int from, int to) {
        return new ReferenceLogProbs(Arrays.copyOfRange(chosen, from, to), Arrays.copyOfRange(rejected, from, to));
    }
}
