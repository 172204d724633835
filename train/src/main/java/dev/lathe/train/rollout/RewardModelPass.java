package dev.lathe.train.rollout;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.RewardModel;

/**
 * A *ForSequenceClassification (one label, any family) over a {@link ResponseBatch}: the reward model's score of each
 * prompt + response at its last real token, or — for PPO's value model, which TRL initialises from the reward
 * model — the score head applied at every position, one value per response token.
 */
public final class RewardModelPass {
    private RewardModelPass() {}

    /** scores [B]: the score at each row's last real token (from its length). Differentiable. */
    public static Tensor scores(RewardModel model, ResponseBatch batch) {
        Device device = model.device(); // the batch's tensors are built on the host and moved there
        Tensor s = model.scores(batch.ids().moveTo(device), batch.positions().moveTo(device),
                batch.keyMask().moveTo(device), batch.lastIndex());
        return s.view(batch.rows());
    }

    /** values [B, R]: score.weight · the hidden state at the column predicting each response token. Differentiable. */
    public static Tensor values(RewardModel model, ResponseBatch batch) {
        Device device = model.device();
        Tensor hidden = model.forward(batch.ids().moveTo(device), batch.positions().moveTo(device),
                batch.keyMask().moveTo(device));
        int n = batch.rows() * batch.width();
        Tensor v = MatmulOps.linear(hidden.view(n, hidden.dim(-1)), model.namedParameters().get(RewardModel.SCORE_WEIGHT), null);
        return batch.responseColumns(v.view(n));
    }

    /** Fails unless {@code model} has exactly one label (a scalar reward). */
    public static void requireOneLabel(RewardModel model, String what) {
        if (model.numLabels() != 1) {
            throw new IllegalArgumentException(what + " must have one label (a scalar score), it has " + model.numLabels());
        }
    }
}
