package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ActivationOps;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.lora.AdaptableLayer;

/**
 * Hugging Face's GPT-2 {@code Conv1D}: y = x W + b with W stored [in, out] (the transpose of a Linear's
 * [out, in]). The layout is kept as stored, so loading and saving copy bytes and GEMM reads W directly: the
 * forward is x @ W, the input gradient g @ Wᵀ and the weight gradient xᵀ @ g, all without a transposed copy.
 * A LoRA adapter can be attached: y += delta(x); a frozen W can be re-stored as BF16 and is then widened per GEMM.
 */
public final class Conv1D extends AdaptableLayer {
    Conv1D(int in, int out, float std, Gpt2Init init) {
        super(() -> init.normal(std, in, out), () -> Tensor.zeros(out));
    }

    /** Weight [in, out]: PEFT's fan_in_fan_out layout. */
    @Override
    public boolean fanInFanOut() {
        return true;
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        Tensor rows = rows(x);
        return plusAdapter(rows, ElementwiseOps.add(product(rows), bias())).view(outputShape(x));
    }

    /**
     * gelu(forward(x)), GPT-2's MLP up-projection: without an adapter the bias add and the GELU run as one op
     * ({@link ActivationOps#biasGelu}: the same values, one pass over the [.., out] activations each way).
     */
    public Tensor forwardGelu(Tensor x) {
        if (lora() != null) return ActivationOps.gelu(forward(x));
        return ActivationOps.biasGelu(product(rows(x)), bias()).view(outputShape(x));
    }

    /** x as rows [B·T, in]: one GEMM over every position. */
    private Tensor rows(Tensor x) {
        int in = weight().dim(0);
        if (x.dim(-1) != in) throw new IllegalArgumentException("Conv1D: input " + x + " for weight " + weight());
        return x.contiguous().view(-1, in);
    }

    /** rows @ W [N, out], widening a BF16-stored frozen weight per GEMM. */
    private Tensor product(Tensor rows) {
        Tensor weight = weight();
        return weight.dtype() == DType.BF16 ? FrozenBf16Matmul.matmul(rows, weight) : MatmulOps.matmul(rows, weight);
    }

    private int[] outputShape(Tensor x) {
        int[] shape = x.shape();
        shape[shape.length - 1] = weight().dim(1);
        return shape;
    }
}
