package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import org.junit.jupiter.api.Test;

/** The PPO / GRPO helpers the fixture does not cover, against float64 formulas on hand-made numbers. */
class PpoPiecesTest {
    @Test
    void k3IsTheNonNegativeEstimator() {
        float[] logp = {-1.0f, -2.5f, -0.3f, -4.0f}, ref = {-1.2f, -2.0f, -0.3f, -1.0f};
        try (var s = Scope.open()) {
            float[] k1 = KlEstimator.K1.perToken(Tensor.of(logp, 2, 2), Tensor.of(ref, 2, 2)).toFloatArray();
            float[] k3 = KlEstimator.K3.perToken(Tensor.of(logp, 2, 2), Tensor.of(ref, 2, 2)).toFloatArray();
            for (int i = 0; i < logp.length; i++) {
                double logr = (double) ref[i] - logp[i];
                assertClose("k1", (double) logp[i] - ref[i], k1[i], 1e-6, 1e-3);
                assertClose("k3", Math.exp(logr) - 1 - logr, k3[i], 1e-6, 1e-3);
            }
            assertEquals(0f, k3[2]);
        }
    }

    @Test
    void whiteningWithoutShiftKeepsTheMean() {
        double[] x = {0.5, -1.0, 2.0, 7.0, 3.0, 9.0};
        double[] m = {1, 1, 1, 0, 1, 0};
        double n = 4, mean = (0.5 - 1.0 + 2.0 + 3.0) / n, ss = 0;
        for (int i = 0; i < x.length; i++) if (m[i] != 0) ss += (x[i] - mean) * (x[i] - mean);
        double std = Math.sqrt(ss / (n - 1) + 1e-8);
        try (var s = Scope.open()) {
            float[] got = MaskedWhiten.whiten(MaskedStats.tensor(x, new int[] {2, 3}), MaskedStats.tensor(m, new int[] {2, 3}),
                    false).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double want = m[i] == 0 ? 0 : (x[i] - mean) / std + mean;
                assertClose("whiten[" + i + "]", want, got[i], 1e-6, 0.1);
            }
        }
    }

    @Test
    void grpoNormalisesEachGroup() {
        double[] r = {1.0, 0.0, 0.5, 0.25, 3.0, 3.0, 2.0, 5.0};
        try (var s = Scope.open()) {
            float[] got = GrpoAdvantages.compute(MaskedStats.tensor(r, new int[] {8}), 4).toFloatArray();
            for (int g = 0; g < 2; g++) {
                double mean = 0, ss = 0;
                for (int i = 4 * g; i < 4 * g + 4; i++) mean += r[i] / 4;
                for (int i = 4 * g; i < 4 * g + 4; i++) ss += (r[i] - mean) * (r[i] - mean);
                double std = Math.sqrt(ss / 3);
                for (int i = 4 * g; i < 4 * g + 4; i++) assertClose("adv[" + i + "]", (r[i] - mean) / (std + 1e-4), got[i], 1e-6, 0.1);
            }
        }
    }

    @Test
    void entropyStatisticIsTheMaskedMean() {
        float[] ones = {0f, 0f, 0f, 0f};
        try (var s = Scope.open()) {
            Tensor zero = Tensor.of(ones, 2, 2), mask = Tensor.of(new float[] {1, 1, 1, 0}, 2, 2);
            Tensor entropy = Tensor.of(new float[] {1f, 2f, 4f, 100f}, 2, 2);
            var r = PpoLoss.compute(zero, zero, zero, zero, zero, zero, mask, entropy, PpoLoss.Config.defaults());
            assertClose("entropy", 7.0 / 3, r.stats().entropyMean(), 1e-9, 0.1);
            assertEquals(7.0 / 3, r.stats().metrics().get("policy/entropy_avg"), 1e-9);
        }
    }
}
