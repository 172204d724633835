package dev.lathe.train.ppo;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.kernels.Gae;
import dev.lathe.kernels.MaskedWhiten;
import dev.lathe.kernels.PpoRewards;
import dev.lathe.train.rollout.RowArrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What PPO learns from one rollout batch (TRL's PPOTrainer between generation and the updates), all row-major
 * [B, R] over the response columns, 0 after each row's EOS:
 * <pre>
 * scores      = reward-model score − missingEosPenalty where the response has no EOS           [B]
 * kl          = k1 or k3 of (logp, refLogp) per token
 * rewards     = −klCoef · kl  +  score on the row's last response token      (whitened, mean kept, if asked)
 * advantages, returns = GAE(rewards, values; γ, λ);  advantages whitened over the mask
 * </pre>
 */
public record PpoRollout(int rows, int width, float[] mask, float[] logp, float[] refLogp, float[] values,
                         double[] scores, float[] kl, float[] rewards, float[] advantages, float[] returns) {

    /**
     * @param logp, refLogp, values, mask  [B·R] the policy's and reference's log-probs of the sampled tokens,
     *                                      the value model's values and the response mask
     * @param rawScores the reward model's scores [B]
     * @param endsWithEos whether each response produced an EOS
     */
    public static PpoRollout compute(int rows, int width, float[] mask, float[] logp, float[] refLogp, float[] values,
                                     double[] rawScores, boolean[] endsWithEos, PpoConfig config) {
        double[] scores = rawScores.clone();
        if (!Double.isNaN(config.missingEosPenalty())) {
            for (int b = 0; b < rows; b++) if (!endsWithEos[b]) scores[b] -= config.missingEosPenalty();
        }
        try (var s = Scope.open()) {
            Tensor m = Tensor.of(mask, rows, width), lp = Tensor.of(logp, rows, width), ref = Tensor.of(refLogp, rows, width);
            float[] scoreFloats = new float[rows];
            for (int b = 0; b < rows; b++) scoreFloats[b] = (float) scores[b];
            Tensor kl = config.klEstimator().perToken(lp, ref);
            Tensor rewards = PpoRewards.perToken(lp, ref, Tensor.of(scoreFloats, rows), m, config.klCoef(), config.klEstimator());
            if (config.whitenRewards()) rewards = MaskedWhiten.whiten(rewards, m, false);
            Gae.Result gae = Gae.compute(rewards, Tensor.of(values, rows, width), m, config.gamma(), config.lam());
            Tensor advantages = MaskedWhiten.whiten(gae.advantages(), m, true);
            float[] klMasked = kl.toFloatArray();
            for (int i = 0; i < klMasked.length; i++) klMasked[i] *= mask[i];
            return new PpoRollout(rows, width, mask, logp, refLogp, values, scores, klMasked, rewards.toFloatArray(),
                    advantages.toFloatArray(), gae.returns().toFloatArray());
        }
    }

    /** TRL's rollout metrics: objective/kl, objective/entropy, objective/non_score_reward, objective/rlhf_reward, objective/scores, val/num_eos_tokens. */
    public Map<String, Double> metrics(double klCoef, int eosRows) {
        Map<String, Double> m = new LinkedHashMap<>();
        double kl = RowArrays.meanRowSum(kl(), mask, width);
        float[] negLogp = new float[logp.length];
        for (int i = 0; i < negLogp.length; i++) negLogp[i] = -logp[i];
        double scoreMean = RowArrays.mean(scores);
        // kl already carries the mask; the non-score reward is −klCoef · kl summed per row.
        m.put("objective/kl", kl);
        m.put("objective/entropy", RowArrays.meanRowSum(negLogp, mask, width));
        m.put("objective/non_score_reward", -klCoef * kl);
        m.put("objective/rlhf_reward", -klCoef * kl + scoreMean);
        m.put("objective/scores", scoreMean);
        m.put("val/num_eos_tokens", (double) eosRows);
        return m;
    }
}
