package dev.lathe.train.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.ops.LossOps;
import dev.lathe.kernels.KlEstimator;
import dev.lathe.train.rollout.ResponseBatch;
import org.junit.jupiter.api.Test;

/** Rollout bookkeeping against hand computations in float64, with GPT-2's pad == eos. */
class PpoRolloutTest {
    private static final int EOS = 9, PAD = 9, IGN = LossOps.IGNORE_INDEX;

    private static ResponseBatch batch() {
        // Row 0 stops at its first EOS (column 1); row 1 never produces one. Prompts of 2 and 1 tokens.
        return ResponseBatch.truncatedAtEos(new int[][] {{5, 6}, {7}}, new int[][] {{1, EOS, 2, EOS}, {3, 4, 2, 1}}, EOS, PAD);
    }

    @Test
    void responsesEndAtTheirFirstEosAndIndicesComeFromLengths() {
        ResponseBatch b = batch();
        assertArrayEquals(new int[] {2, 4}, b.lengths());
        assertArrayEquals(new int[] {1, EOS, PAD, PAD}, b.response(0));
        assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 1, 1}, b.mask());
        assertTrue(b.endsWithEos(0));
        assertFalse(b.endsWithEos(1));
        assertArrayEquals(new int[] {1}, b.completionIds(0));
        assertArrayEquals(new int[] {3, 4, 2, 1}, b.completionIds(1));
        // P = 2: row 0's EOS sits at column 2 + 1 = 3, row 1's last token at column 2 + 3 = 5, although the
        // padding after row 0's EOS holds the same id.
        assertArrayEquals(new int[] {3, 5}, b.lastIndex());
        try (var s = Scope.open()) {
            assertArrayEquals(new int[] {5, 6, 1, EOS, PAD, PAD, PAD, 7, 3, 4, 2, 1}, b.ids().toIntArray());
            assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1}, b.keyMask().toIntArray());
            assertArrayEquals(new int[] {0, 1, 2, 3, 3, 3, 0, 0, 1, 2, 3, 4}, b.positions().toIntArray());
            assertArrayEquals(new int[] {IGN, 1, EOS, IGN, IGN, IGN, IGN, 3, 4, 2, 1, IGN}, b.targets().toIntArray());
        }
    }

    @Test
    void scoresPenaltyRewardsAndReturnsMatchAHandComputation() {
        ResponseBatch b = batch();
        float[] mask = b.mask();
        float[] logp = {-1.0f, -0.5f, 0, 0, -2.0f, -1.5f, -0.25f, -3.0f};
        float[] ref = {-1.5f, -0.25f, 0, 0, -2.0f, -1.0f, -0.75f, -2.0f};
        float[] values = {0.5f, 0.25f, 0, 0, -0.5f, 0.125f, 0.75f, 1.0f};
        double[] raw = {2.0, 1.0};
        var config = new PpoConfig(0.1, KlEstimator.K1, 0.2, 0.2, 0.1, 0.9, 0.8, 1, 1, false, 1.0, 4, 0.75);
        PpoRollout r = PpoRollout.compute(2, 4, mask, logp, ref, values, raw, new boolean[] {true, false}, config);

        assertArrayEquals(new double[] {2.0, 1.0 - 0.75}, r.scores(), 0.0, "the penalty hits only the row without EOS");
        double[] want = new double[8];
        for (int i = 0; i < 8; i++) want[i] = -0.1 * ((double) logp[i] - ref[i]) * mask[i];
        want[1] += 2.0;   // row 0's last token: its EOS
        want[7] += 0.25;  // row 1's last column
        double[] ret = new double[8];
        for (int row = 0; row < 2; row++) { // returns = GAE advantages + values, γ 0.9, λ 0.8, 0 after the end
            double next = 0, adv = 0;
            for (int j = 3; j >= 0; j--) {
                int i = row * 4 + j;
                double v = values[i] * mask[i], delta = want[i] + 0.9 * next - v;
                adv = delta + 0.9 * 0.8 * adv;
                ret[i] = adv + v;
                next = v;
            }
        }
        for (int i = 0; i < 8; i++) {
            assertEquals(want[i], r.rewards()[i], 1e-6, "reward " + i);
            assertEquals(ret[i], r.returns()[i], 1e-6, "return " + i);
        }
        // Whitened advantages: mean 0 and unbiased variance 1 over the mask.
        double mean = 0, n = 6, ss = 0;
        for (int i = 0; i < 8; i++) mean += r.advantages()[i] * mask[i] / n;
        for (int i = 0; i < 8; i++) ss += mask[i] * Math.pow(r.advantages()[i] - mean, 2);
        assertEquals(0, mean, 1e-6);
        assertEquals(1, ss / (n - 1), 1e-5);
        double kl = ((0.5 - 0.25) + (0 - 0.5 + 0.5 - 1.0)) / 2; // Σ per row of logp − ref, averaged over rows
        assertEquals(kl, r.metrics(0.1, 1).get("objective/kl"), 1e-6);
        assertEquals(-0.1 * kl + (2.0 + 0.25) / 2, r.metrics(0.1, 1).get("objective/rlhf_reward"), 1e-6);
    }
}
