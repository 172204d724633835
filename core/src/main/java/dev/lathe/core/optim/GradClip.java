package dev.lathe.core.optim;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.util.List;

/** {@code torch.nn.utils.clip_grad_norm_}: global L2 norm over all gradients. */
public final class GradClip {
    /**
     * The global norm before clipping (what trainers log as grad_norm) and the factor clip_grad_norm_ scales the
     * gradients by: maxNorm / (norm + 1e-6) when that is below 1, else 1 (also for a norm that is not finite).
     */
    public record Clip(double norm, float coefficient) {}

    private GradClip() {}

    /** The global L2 norm of the gradients (float64 accumulation); parameters without a gradient count as zero. */
    public static double globalNorm(List<Tensor> params) {
        double sq = 0;
        for (Tensor p : params) {
            if (p.grad() != null) sq += Backends.of(p).sumSquares(p.grad());
        }
        return Math.sqrt(sq);
    }

    /**
     * The norm and clip coefficient without touching the gradients: hand the coefficient to
     * {@link AdamW#step(float)}, which folds it into the update instead of a scaling pass over every gradient.
     */
    public static Clip measure(List<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        return new Clip(norm, coef < 1 ? (float) coef : 1f);
    }

    /**
     * Scales every gradient by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm; returns the norm before
     * clipping.
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        Clip clip = measure(params, maxNorm);
        if (clip.coefficient() < 1f) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) Backends.of(g).scale(g, clip.coefficient(), g);
            }
        }
        return clip.norm();
    }
}
