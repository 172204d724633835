package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.NormOps;

/** Llama's RMSNorm over the last dimension: x · rsqrt(mean(x²) + eps) · weight. */
final class RmsNorm extends Module {
    private final Tensor weight;
    private final float eps;

    RmsNorm(int dim, double eps, LlamaInit init) {
        this.weight = parameter("weight", () -> init.ones(dim));
        this.eps = (float) eps;
    }

    /** x [.., dim] → [.., dim]. */
    Tensor forward(Tensor x) {
        return NormOps.rmsNorm(x, weight, eps);
    }
}
