package dev.lathe.core.optim;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.util.List;

/** {@code torch.nn.utils.clip_grad_norm_}: global L2 norm over all gradients. */
public final class GradClip {
    /**
     * The global norm before clipping (what trainers log as grad_norm) and the factor clip_grad_norm_ scales the
     * gradients by: maxNorm / (norm + 1e-6) when that is below 1, else 1 (also for a norm that is not finite, and
     * without clipping).
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
     * maxNorm 0 or less means no clipping (the trainers' {@code --max-grad-norm 0}): the norm, coefficient 1.
     */
    public static Clip measure(List<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        return new Clip(norm, maxNorm > 0 ? coefficient(norm, maxNorm) : 1f);
    }

    /**
     * Scales every gradient by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm; returns the norm before
     * clipping.
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        float coef = coefficient(norm, maxNorm);
        if (coef < 1f) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) Backends.of(g).scale(g, coef, g);
            }
        }
        return norm;
    }

    /** clip_grad_norm_'s factor: maxNorm / (norm + 1e-6) when that is below 1, else 1 (also for a NaN norm). */
    private static float coefficient(double norm, double maxNorm) {
        double coef = maxNorm / (norm + 1e-6);
        return coef < 1 ? (float) coef : 1f;
    }
}
