package dev.lathe.train.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.kernels.KlEstimator;
import dev.lathe.models.RewardModel;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.gpt2.Gpt2RewardModel;
import dev.lathe.train.rollout.ResponseBatch;
import dev.lathe.train.rollout.ResponseLogProbs;
import dev.lathe.train.rollout.RewardModelPass;
import dev.lathe.train.rollout.TinyModels;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * One PPO mini-batch on a tiny random policy and value model: the loss's gradients with respect to parameters of
 * both (through the fused log-probs, the temperature scaling, the row gathers and the value head) agree with
 * central finite differences of the loss.
 */
class PpoMiniBatchGradientTest {
    @Test
    void gradientsOfPolicyAndValueModelMatchFiniteDifferences() {
        var config = new PpoConfig(0.05, KlEstimator.K1, 0.2, 0.2, 0.5, 1.0, 0.95, 1, 1, false, 0.7, 4, Double.NaN);
        int eos = 2;
        ResponseBatch batch = ResponseBatch.truncatedAtEos(new int[][] {{5, 6, 7}, {8}, {1, 3}},
                new int[][] {{4, 9, 11, 12}, {eos, 3, 3, 3}, {13, 14, eos, 0}}, eos, 0);
        try (Gpt2Model policy = TinyModels.policy(11); Gpt2Model reference = TinyModels.policy(12);
             Gpt2RewardModel value = TinyModels.valueModel(13); var s = Scope.open()) {
            float[] logp, refLogp, values;
            try (var noGrad = GradMode.off()) {
                logp = ResponseLogProbs.compute(policy, batch, config.logitDivisor(), false).logp().toFloatArray();
                refLogp = ResponseLogProbs.compute(reference, batch, config.logitDivisor(), false).logp().toFloatArray();
                values = RewardModelPass.values(value, batch).toFloatArray();
            }
            PpoRollout rollout = PpoRollout.compute(3, 4, batch.mask(), logp, refLogp, values, new double[] {1.5, -0.5, 0.25},
                    new boolean[] {false, true, true}, config);
            int[] mini = {2, 0};
            DoubleSupplier loss = () -> {
                try (var noGrad = GradMode.off(); var inner = Scope.open()) {
                    return PpoTask.miniBatchLoss(policy, value, batch, rollout, mini, config).loss().item();
                }
            };
            var result = PpoTask.miniBatchLoss(policy, value, batch, rollout, mini, config);
            assertEquals(1.0, result.stats().ratioMean(), 1e-5, "the first update sees the rollout's own log-probs");
            result.loss().backward();
            check(policy.namedParameters().get("transformer.wte.weight"), loss);
            check(policy.namedParameters().get("transformer.h.0.attn.c_attn.weight"), loss);
            check(value.namedParameters().get(RewardModel.SCORE_WEIGHT), loss);
            check(value.namedParameters().get("transformer.h.1.mlp.c_fc.weight"), loss);
            policy.zeroGrad();
            value.parameters().forEach(Tensor::zeroGrad);
        }
    }

    /** The element of {@code p} with the largest gradient: autograd against (L(p + h) − L(p − h)) / 2h. */
    private static void check(Tensor p, DoubleSupplier loss) {
        float[] g = p.grad().toFloatArray();
        int at = 0;
        for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[at])) at = i;
        assertTrue(Math.abs(g[at]) > 1e-4, "a gradient to compare: " + g[at]);
        float x = p.getFloat(at), h = 5e-3f;
        p.setFloat(at, x + h);
        double up = loss.getAsDouble();
        p.setFloat(at, x - h);
        double down = loss.getAsDouble();
        p.setFloat(at, x);
        double fd = (up - down) / (2 * h);
        assertEquals(fd, g[at], 0.03 * Math.abs(fd) + 1e-4, "gradient of element " + at + " of " + p);
    }
}
