package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.LossOps;

/**
 * SFT's loss straight from the final hidden states: −Σ log p(target) / normaliser over the tokens whose target
 * is not −100 (prompt and padding positions carry −100), through {@link FusedLinearLogProbs#forwardBackward}'s
 * single pass — the logits are never materialised and dh, dw come out of the forward.
 *
 * <pre>
 * h : [N, D]   w : [V, D]   targets : int32 [N]   →   loss : scalar
 * </pre>
 * The normaliser defaults to the number of counted tokens (TRL's token mean). Under gradient accumulation pass
 * the whole batch's count instead, so the micro-batch losses add up to the full-batch loss exactly. With h and w
 * on a device the loss and gradients stay there.
 */
public final class MaskedCrossEntropy {
    private MaskedCrossEntropy() {}

    /** Token-mean loss over this batch's counted tokens (0, with zero gradients, when there are none). */
    public static Tensor loss(Tensor h, Tensor w, Tensor targets) {
        return loss(h, w, targets, Math.max(1, countedTokens(targets)));
    }

    /** −Σ logp / normaliser. */
    public static Tensor loss(Tensor h, Tensor w, Tensor targets, double normaliser) {
        return loss(h, w, targets, normaliser, FusedLinearLogProbs.DEFAULT_CHUNK_BYTES);
    }

    public static Tensor loss(Tensor h, Tensor w, Tensor targets, double normaliser, long chunkBytes) {
        if (!(normaliser > 0)) throw new IllegalArgumentException("normaliser must be positive, got " + normaliser);
        float weight = (float) (-1.0 / normaliser);
        if (h.device() != Device.CPU) {
            // One weight for every row: logp is 0 where the target is ignored, so no mask (and no read of targets).
            Tensor weights = DeviceMath.full(h.device(), weight, Math.toIntExact(targets.numel()));
            return FusedLinearLogProbs.forwardBackward(h, w, targets, weights, chunkBytes).objective();
        }
        int[] ids = targets.toIntArray();
        float[] weights = new float[ids.length];
        for (int i = 0; i < ids.length; i++) weights[i] = ids[i] == LossOps.IGNORE_INDEX ? 0f : weight;
        return FusedLinearLogProbs.forwardBackward(h, w, targets, Tensor.of(weights), chunkBytes).objective();
    }

    /**
     * Number of targets that are not the ignore index. Device targets are read back (4 bytes a token): on a
     * device's hot path pass the normaliser to {@link #loss(Tensor, Tensor, Tensor, double)} instead.
     */
    public static long countedTokens(Tensor targets) {
        long n = 0;
        for (int id : targets.toIntArray()) if (id != LossOps.IGNORE_INDEX) n++;
        return n;
    }
}
