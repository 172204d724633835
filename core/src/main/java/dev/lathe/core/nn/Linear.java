package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.MatmulOps;
import java.util.Random;

/** y = x Wᵀ + b with W [out, in] (PyTorch's layout); PyTorch's default init U(−1/√in, 1/√in). */
public final class Linear extends Module {
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int in, int out, boolean bias, Random rng) {
        float bound = (float) (1.0 / Math.sqrt(in));
        this.weight = parameter("weight", () -> Tensor.uniform(rng, -bound, bound, out, in));
        this.bias = bias ? parameter("bias", () -> Tensor.uniform(rng, -bound, bound, out)) : null;
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        return MatmulOps.linear(x, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }
}
