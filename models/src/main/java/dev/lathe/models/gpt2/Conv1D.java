package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.MatmulOps;

/**
 * Hugging Face's GPT-2 {@code Conv1D}: y = x W + b with W stored [in, out] (the transpose of a Linear's
 * [out, in]). The layout is kept as stored, so loading and saving copy bytes and GEMM reads W directly: the
 * forward is x @ W, the input gradient g @ Wᵀ and the weight gradient xᵀ @ g, all without a transposed copy.
 */
public final class Conv1D extends Module {
    private final Tensor weight;
    private final Tensor bias;

    Conv1D(int in, int out, float std, Gpt2Init init) {
        this.weight = parameter("weight", () -> init.normal(std, in, out));
        this.bias = parameter("bias", () -> Tensor.zeros(out));
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        int in = weight.dim(0), out = weight.dim(1);
        if (x.dim(-1) != in) throw new IllegalArgumentException("Conv1D: input " + x + " for weight " + weight);
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Tensor rows = x.contiguous().view(-1, in); // one GEMM over every position: M = B·T
        return ElementwiseOps.add(MatmulOps.matmul(rows, weight), bias).view(shape);
    }

    /** [in, out]. */
    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }
}
