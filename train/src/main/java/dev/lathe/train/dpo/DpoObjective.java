package dev.lathe.train.dpo;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.kernels.DpoLoss;
import dev.lathe.models.CausalLm;
import dev.lathe.train.data.PreferenceExample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DPO on one micro-batch of preference rows (TRL's DPOTrainer): the policy's completion log-probs of chosen and
 * rejected (one concatenated forward), the reference's (a model, precomputed, or none when reference-free), then
 * {@link DpoLoss}. IPO compares per-token means, the other losses sums.
 *
 * <p>Gradient accumulation is row-weighted: with {@code totalRows} rows in the optimizer step, a micro-batch's
 * loss is Σ_rows loss_row / totalRows, so the gradients and the returned metrics of the micro-batches add up to
 * those of the whole batch at once. Metrics use TRL's names: loss, rewards/chosen, rewards/rejected,
 * rewards/accuracies, rewards/margins, logps/chosen, logps/rejected.
 */
public final class DpoObjective {
    private final CausalLm policy;
    private final DpoLoss.Config config;

    /** @param config loss type, β (TRL's default 0.1), label smoothing and reference-freeness */
    public DpoObjective(CausalLm policy, DpoLoss.Config config) {
        this.policy = policy;
        this.config = config;
    }

    public DpoLoss.Config config() {
        return config;
    }

    /** {@link #accumulate(List, ReferenceLogProbs, int)} with the reference log-probs computed by {@code reference}. */
    public Map<String, Double> accumulate(List<PreferenceExample> rows, CausalLm reference, int totalRows) {
        return accumulate(rows, ReferenceLogProbs.of(reference, rows), totalRows);
    }

    /**
     * Forward and backward of the micro-batch: the policy's parameter gradients grow by its share of the
     * step's loss. Returns the metrics' partial sums (micro-batch mean × rows / totalRows).
     *
     * @param reference the rows' reference log-prob sums, or null when the config is reference-free
     */
    public Map<String, Double> accumulate(List<PreferenceExample> rows, ReferenceLogProbs reference, int totalRows) {
        try (var s = Scope.open()) {
            DpoLoss.Result result = loss(rows, reference, totalRows);
            result.loss().backward();
            return partialSums(result, rows.size(), totalRows);
        }
    }

    /** The same metrics without touching gradients (evaluation). */
    public Map<String, Double> evaluate(List<PreferenceExample> rows, ReferenceLogProbs reference, int totalRows) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            return partialSums(loss(rows, reference, totalRows), rows.size(), totalRows);
        }
    }

    private DpoLoss.Result loss(List<PreferenceExample> rows, ReferenceLogProbs reference, int totalRows) {
        int b = rows.size();
        if (b == 0 || totalRows < b) throw new IllegalArgumentException(b + " rows in a step of " + totalRows);
        if (reference != null && reference.size() != b) {
            throw new IllegalArgumentException(b + " rows but " + reference.size() + " reference log-probs");
        }
        boolean means = config.type() == DpoLoss.Type.IPO;
        SequenceLogProbs.Result policyLogps = logProbs(policy, rows);
        Tensor logps = means ? policyLogps.means() : policyLogps.sums();
        Tensor refChosen = null, refRejected = null;
        if (reference != null) {
            float[] rc = new float[b], rr = new float[b];
            for (int i = 0; i < b; i++) {
                PreferenceExample row = rows.get(i);
                rc[i] = (float) (reference.chosen()[i] / (means ? row.chosenTokens() : 1));
                rr[i] = (float) (reference.rejected()[i] / (means ? row.rejectedTokens() : 1));
            }
            refChosen = Tensor.of(rc, b).moveTo(policy.device());
            refRejected = Tensor.of(rr, b).moveTo(policy.device());
        }
        return DpoLoss.compute(logps.slice(0, b), logps.slice(b, 2 * b), refChosen, refRejected, config, totalRows);
    }

    /** Completion log-probs [2B] of the rows' chosen sequences (first B) then their rejected ones. */
    static SequenceLogProbs.Result logProbs(CausalLm model, List<PreferenceExample> rows) {
        int b = rows.size();
        List<int[]> sequences = new ArrayList<>(2 * b);
        int[] promptLengths = new int[2 * b];
        for (int i = 0; i < b; i++) {
            PreferenceExample row = rows.get(i);
            sequences.add(row.chosen());
            promptLengths[i] = row.promptLength();
        }
        for (int i = 0; i < b; i++) {
            PreferenceExample row = rows.get(i);
            sequences.add(row.rejected());
            promptLengths[b + i] = row.promptLength();
        }
        return SequenceLogProbs.compute(model, sequences, promptLengths);
    }

    private static Map<String, Double> partialSums(DpoLoss.Result result, int rows, int totalRows) {
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", (double) result.loss().item());
        double share = (double) rows / totalRows;
        result.metrics().forEach((name, mean) -> out.put(name, mean * share));
        return out;
    }
}
