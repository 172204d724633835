package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.NormOps;

/** LayerNorm over the last dimension; weight 1, bias 0 at init. */
public final class LayerNorm extends Module {
    private final Tensor weight;
    private final Tensor bias;
    private final float eps;

    public LayerNorm(int dim, float eps) {
        this.weight = parameter("weight", () -> Tensor.full(1f, dim));
        this.bias = parameter("bias", () -> Tensor.zeros(dim));
        this.eps = eps;
    }

    public Tensor forward(Tensor x) {
        return NormOps.layerNorm(x, weight, bias, eps);
    }
}
