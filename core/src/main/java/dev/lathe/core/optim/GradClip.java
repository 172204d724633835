package dev.lathe.core.optim;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.util.List;

/** {@code torch.nn.utils.clip_grad_norm_}: global L2 norm over all gradients. */
public final class GradClip {
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
     * Scales every gradient by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm; returns the norm before
     * clipping (what trainers log as grad_norm).
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) Backends.of(g).scale(g, (float) coef, g);
            }
        }
        return norm;
    }
}
