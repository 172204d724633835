package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
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
        Tensor weight = weight();
        int in = weight.dim(0), out = weight.dim(1);
        if (x.dim(-1) != in) throw new IllegalArgumentException("Conv1D: input " + x + " for weight " + weight);
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Tensor rows = x.contiguous().view(-1, in); // one GEMM over every position: M = B·T
        Tensor xw = weight.dtype() == DType.BF16 ? FrozenBf16Matmul.matmul(rows, weight) : MatmulOps.matmul(rows, weight);
        return plusAdapter(rows, ElementwiseOps.add(xw, bias())).view(shape);
    }
}
