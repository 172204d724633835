package dev.lathe.train.rollout;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.gpt2.Gpt2RewardModel;

/**
 * A GPT2ForSequenceClassification (one label) over a {@link ResponseBatch}: the reward model's score of each
 * prompt + response at its last real token, or — for PPO's value model, which TRL initialises from the reward
 * model — the score head applied at every position, one value per response token.
 */
public final class RewardModelPass {
    /** The score head's weight name. */
    public static final String SCORE_WEIGHT = "score.weight";

    private RewardModelPass() {}

    /** scores [B]: the score at each row's last real token (from its length). Differentiable. */
    public static Tensor scores(Gpt2RewardModel model, ResponseBatch batch) {
        Tensor s = model.scores(batch.ids(), batch.positions(), batch.keyMask(), batch.lastIndex());
        return s.view(batch.rows());
    }

    /** values [B, R]: score.weight · the hidden state at the column predicting each response token. Differentiable. */
    public static Tensor values(Gpt2RewardModel model, ResponseBatch batch) {
        Tensor hidden = model.forward(batch.ids(), batch.positions(), batch.keyMask());
        int n = batch.rows() * batch.width();
        Tensor v = MatmulOps.linear(hidden.view(n, hidden.dim(-1)), model.namedParameters().get(SCORE_WEIGHT), null);
        return batch.responseColumns(v.view(n));
    }

    /** Fails unless {@code model} has exactly one label (a scalar reward). */
    public static void requireOneLabel(Gpt2RewardModel model, String what) {
        Integer labels = model.config().numLabels();
        if (labels == null || labels != 1) {
            throw new IllegalArgumentException(what + " must have one label (a scalar score), it has "
                    + (labels == null ? "the default 2" : labels));
        }
    }
}
