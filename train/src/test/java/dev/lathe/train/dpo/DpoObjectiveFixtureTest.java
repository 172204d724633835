package dev.lathe.train.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.optim.GradClip;
import dev.lathe.kernels.DpoLoss.Type;
import dev.lathe.kernels.DpoLoss;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.train.data.PreferenceExample;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The six DPO variants of the gpt2-tiny fixture against PyTorch's float64 values: loss, rewards/*, logps/* and the
 * global gradient norm of the policy, for the 6 rows as one batch and accumulated over micro-batches (2 × 3 with
 * the reference model run per micro-batch, 3 × 2 with reference log-probs precomputed for the whole file).
 */
class DpoObjectiveFixtureTest {
    private static final String[] METRICS = {"loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "logps/chosen", "logps/rejected"};

    @AfterAll
    static void closeModels() {
        DpoFixture.close();
    }

    static Stream<Arguments> cases() {
        Map<String, DpoLoss.Config> variants = Map.of(
                "sigmoid", new DpoLoss.Config(Type.SIGMOID, 0.1, 0, false),
                "sigmoid_ls0.1", new DpoLoss.Config(Type.SIGMOID, 0.1, 0.1, false),
                "robust_ls0.1", new DpoLoss.Config(Type.ROBUST, 0.1, 0.1, false),
                "hinge", new DpoLoss.Config(Type.HINGE, 0.1, 0, false),
                "ipo", new DpoLoss.Config(Type.IPO, 0.1, 0, false),
                "sigmoid_beta0.5", new DpoLoss.Config(Type.SIGMOID, 0.5, 0, false));
        return variants.entrySet().stream().sorted(Map.Entry.comparingByKey()).flatMap(v -> Stream.of(
                Arguments.of(v.getKey(), v.getValue(), 6, false),
                Arguments.of(v.getKey(), v.getValue(), 3, false),
                Arguments.of(v.getKey(), v.getValue(), 2, true)));
    }

    @ParameterizedTest(name = "{0}, micro-batches of {2}, precomputed reference: {3}")
    @MethodSource("cases")
    void metricsAndGradientNormMatchPyTorch(String variant, DpoLoss.Config config, int microBatch, boolean precomputed)
            throws IOException {
        JsonNode want = DpoFixture.expectedDpo().get(variant);
        Gpt2Model policy = DpoFixture.policy(), reference = DpoFixture.reference();
        List<PreferenceExample> rows = DpoFixture.examples();
        ReferenceLogProbs all = precomputed ? ReferenceLogProbs.of(reference, rows) : null;
        DpoObjective objective = new DpoObjective(policy, config);
        Map<String, Double> got = new HashMap<>();
        policy.zeroGrad();
        for (int from = 0; from < rows.size(); from += microBatch) {
            List<PreferenceExample> part = rows.subList(from, from + microBatch);
            Map<String, Double> partial = precomputed
                    ? objective.accumulate(part, all.slice(from, from + microBatch), rows.size())
                    : objective.accumulate(part, reference, rows.size());
            partial.forEach((k, v) -> got.merge(k, v, Double::sum));
        }
        double gradNorm = GradClip.globalNorm(policy.parameters());
        policy.zeroGrad();
        for (String metric : METRICS) {
            DpoFixture.assertClose(want.get(metric).doubleValue(), got.get(metric), 1e-4, variant + " " + metric);
        }
        DpoFixture.assertClose(want.get("grad_norm").doubleValue(), gradNorm, 1e-3, variant + " grad_norm");
    }
}
