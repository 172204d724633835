package dev.lathe.train.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.kernels.DpoLoss;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.train.data.PreferenceExample;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Batched, right-padded completion log-probs against a float64 log-softmax of each row's full logits computed
 * alone (no padding), and the objective's reference-free and evaluation paths built on them.
 */
class SequenceLogProbsTest {
    @AfterAll
    static void closeModels() {
        DpoFixture.close();
    }

    @Test
    void batchedSumsAndMeansMatchEachRowAloneInFloat64() throws IOException {
        List<PreferenceExample> rows = DpoFixture.examples();
        List<int[]> sequences = new ArrayList<>();
        List<Integer> prompts = new ArrayList<>();
        for (PreferenceExample row : rows) {
            sequences.add(row.chosen());
            sequences.add(row.rejected());
            prompts.add(row.promptLength());
            prompts.add(row.promptLength());
        }
        int[] promptLengths = prompts.stream().mapToInt(Integer::intValue).toArray();
        for (CausalLm model : new CausalLm[] {DpoFixture.policy(), DpoFixture.reference()}) {
            try (var s = Scope.open(); var noGrad = GradMode.off()) {
                SequenceLogProbs.Result got = SequenceLogProbs.compute(model, sequences, promptLengths);
                float[] sums = got.sums().toFloatArray(), means = got.means().toFloatArray();
                for (int i = 0; i < sequences.size(); i++) {
                    int[] seq = sequences.get(i);
                    double want = completionLogProb(model, seq, promptLengths[i]);
                    int count = seq.length - promptLengths[i];
                    assertArrayEquals(new int[] {count}, new int[] {got.tokenCounts()[i]}, "row " + i + " token count");
                    DpoFixture.assertClose(want, sums[i], 1e-5, "row " + i + " sum");
                    DpoFixture.assertClose(want / count, means[i], 1e-5, "row " + i + " mean");
                }
            }
        }
    }

    @Test
    void referenceFreeLossComparesThePolicyAloneAndEvaluationLeavesNoGradients() throws IOException {
        List<PreferenceExample> rows = DpoFixture.examples();
        CausalLm policy = DpoFixture.policy();
        double beta = 0.1;
        var objective = new DpoObjective(policy, new DpoLoss.Config(DpoLoss.Type.SIGMOID, beta, 0, true));
        policy.zeroGrad();
        Map<String, Double> got = objective.evaluate(rows, null, rows.size());
        for (Tensor p : policy.parameters()) assertNull(p.grad(), "evaluation left a gradient");
        double loss = 0, chosen = 0, rejected = 0;
        for (PreferenceExample row : rows) {
            double c = completionLogProb(policy, row.chosen(), row.promptLength());
            double r = completionLogProb(policy, row.rejected(), row.promptLength());
            loss += Math.log1p(Math.exp(-beta * (c - r)));
            chosen += beta * c;
            rejected += beta * r;
        }
        int n = rows.size();
        DpoFixture.assertClose(loss / n, got.get("loss"), 1e-4, "loss");
        DpoFixture.assertClose(chosen / n, got.get("rewards/chosen"), 1e-4, "rewards/chosen");
        DpoFixture.assertClose(rejected / n, got.get("rewards/rejected"), 1e-4, "rewards/rejected");
        DpoFixture.assertClose((chosen - rejected) / n, got.get("rewards/margins"), 1e-4, "rewards/margins");

        // With a reference, its log-probs are required.
        var withReference = new DpoObjective(policy, DpoLoss.Config.defaults());
        assertThrows(IllegalArgumentException.class, () -> withReference.evaluate(rows, null, rows.size()));
    }

    /** Σ log p(seq[p] | seq[..p]) over p ≥ prompt, from the full logits of the row alone, in float64. */
    private static double completionLogProb(CausalLm model, int[] seq, int prompt) {
        int t = seq.length, v = model.config().vocabSize();
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            int[] lengths = {t};
            float[] logits = model.logits(model.forward(Tensor.ofInts(seq, 1, t),
                    Padding.positions(lengths, t, Padding.Side.RIGHT), null)).toFloatArray();
            double total = 0;
            for (int p = prompt - 1; p < t - 1; p++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[p * v + j]);
                for (int j = 0; j < v; j++) sum += Math.exp(logits[p * v + j] - max);
                total += logits[p * v + seq[p + 1]] - max - Math.log(sum);
            }
            return total;
        }
    }
}
