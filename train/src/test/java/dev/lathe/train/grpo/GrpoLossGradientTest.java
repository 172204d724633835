package dev.lathe.train.grpo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** GRPO's hand-written backward against central finite differences of the loss, for every loss type. */
class GrpoLossGradientTest {
    private static final int B = 3, T = 5;
    /** Step of the central differences: small next to the distance of every ratio from the clip edges. */
    private static final float STEP = 1e-3f;

    @Test
    void gradientMatchesFiniteDifferences() {
        Random rng = new Random(3);
        float[] logp = new float[B * T], old = new float[B * T], ref = new float[B * T], mask = new float[B * T];
        // logp − old in {−0.5, −0.05, 0, 0.5}: ratios below, inside and above [1 − 0.2, 1 + 0.2], away from the edges.
        double[] gaps = {-0.5, -0.05, 0, 0.5};
        for (int i = 0; i < logp.length; i++) {
            logp[i] = (float) (-1 - rng.nextDouble());
            old[i] = (float) (logp[i] - gaps[rng.nextInt(gaps.length)]);
            ref[i] = (float) (logp[i] + 0.3 * rng.nextGaussian());
            mask[i] = i % T < T - i / T ? 1 : 0; // rows of 5, 4 and 3 real tokens
        }
        double[] advantages = {1.2, -0.7, 0.4};
        for (GrpoConfig.LossType type : GrpoConfig.LossType.values()) {
            var config = new GrpoConfig(B, 0.04, 0.2, 1.0, T, type, true);
            float[] grad;
            try (var s = Scope.open()) {
                Tensor lp = Tensor.of(logp, B, T).requiresGrad(true);
                GrpoLoss.compute(lp, old, ref, advantages, mask, config).loss().backward();
                grad = lp.grad().toFloatArray();
            }
            for (int i = 0; i < logp.length; i++) {
                double numeric = (loss(logp, i, STEP, old, ref, advantages, mask, config)
                        - loss(logp, i, -STEP, old, ref, advantages, mask, config)) / (2.0 * STEP);
                assertTrue(Math.abs(numeric - grad[i]) <= 2e-4 + 1e-3 * Math.abs(numeric),
                        type + " d loss / d logp[" + i + "]: backward " + grad[i] + ", finite differences " + numeric);
            }
        }
    }

    /** The loss with logp[i] moved by {@code delta}. */
    private static double loss(float[] logp, int i, float delta, float[] old, float[] ref, double[] advantages,
                               float[] mask, GrpoConfig config) {
        float[] moved = logp.clone();
        moved[i] += delta;
        try (var s = Scope.open()) {
            return GrpoLoss.compute(Tensor.of(moved, B, T), old, ref, advantages, mask, config).loss().item();
        }
    }
}
