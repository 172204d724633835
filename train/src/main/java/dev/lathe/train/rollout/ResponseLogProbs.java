package dev.lathe.train.rollout;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.kernels.FusedLinearLogProbs;
import dev.lathe.models.CausalLm;

/**
 * Log-probs (and entropies) of a {@link ResponseBatch}'s response tokens under a causal LM whose logits are
 * divided by {@code logitDivisor} (the sampling temperature, as TRL rescales before log_softmax). The head is
 * linear without bias, so dividing the hidden states divides the logits; the [N, V] logits never exist
 * ({@link FusedLinearLogProbs}). Differentiable when grad mode is on.
 *
 * <pre>
 * logp, entropy : [B, R], 0 after each row's EOS
 * </pre>
 */
public final class ResponseLogProbs {
    /** logp [B, R]; entropy [B, R] or null. */
    public record Result(Tensor logp, Tensor entropy) {}

    private ResponseLogProbs() {}

    public static Result compute(CausalLm model, ResponseBatch batch, double logitDivisor, boolean withEntropy) {
        if (!(logitDivisor > 0)) throw new IllegalArgumentException("logit divisor must be > 0, got " + logitDivisor);
        Device device = model.device(); // the batch's tensors are built on the host and moved there
        Tensor hidden = model.forward(batch.ids().moveTo(device), batch.positions().moveTo(device),
                batch.keyMask().moveTo(device));
        Tensor h = hidden.view(batch.rows() * batch.width(), hidden.dim(-1));
        if (logitDivisor != 1) h = ElementwiseOps.scale(h, (float) (1 / logitDivisor));
        FusedLinearLogProbs.LogProbs lp = FusedLinearLogProbs.forward(h, model.lmHeadWeight(),
                batch.targets().moveTo(device), withEntropy);
        return new Result(batch.responseColumns(lp.logp()),
                withEntropy ? batch.responseColumns(lp.entropy()) : null);
    }
}
