package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.lora.AdaptableLayer;

/**
 * PyTorch's Linear as the Llama family stores it: weight [out, in], optional bias [out]; y = x Wᵀ + b (the GEMM
 * reads Wᵀ in place). A LoRA adapter can be attached (PEFT's lora.Linear, fan_in_fan_out false): y += delta(x).
 * A frozen weight can be re-stored as BF16 and is then widened per GEMM ({@link FrozenBf16Linear}).
 */
public final class LlamaLinear extends AdaptableLayer {
    LlamaLinear(int in, int out, boolean bias, LlamaInit init) {
        super(() -> init.normal(out, in), bias ? () -> Tensor.zeros(out) : null);
    }

    /** Weight [out, in]. */
    @Override
    public boolean fanInFanOut() {
        return false;
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        Tensor y = weight().dtype() == DType.BF16 ? FrozenBf16Linear.linear(x, weight(), bias())
                : MatmulOps.linear(x, weight(), bias());
        return plusAdapter(x, y);
    }
}
