package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.MatmulOps;

/**
 * PyTorch's Linear as the Llama family stores it: weight [out, in], optional bias [out]; y = x Wᵀ + b (the GEMM
 * reads Wᵀ in place). A frozen weight can be re-stored as BF16 and is then widened per GEMM
 * ({@link FrozenBf16Linear}).
 */
public final class LlamaLinear extends Module {
    private Tensor weight;
    private final Tensor bias;

    LlamaLinear(int in, int out, boolean bias, LlamaInit init) {
        this.weight = parameter("weight", () -> init.normal(out, in));
        this.bias = bias ? parameter("bias", () -> Tensor.zeros(out)) : null;
    }

    /** x [.., in] → [.., out]. */
    public Tensor forward(Tensor x) {
        if (weight.dtype() == DType.BF16) return FrozenBf16Linear.linear(x, weight, bias);
        return MatmulOps.linear(x, weight, bias);
    }

    /** Re-stores the frozen weight as BF16 (rounded to nearest even); the forward then widens it per GEMM. */
    public void storeFrozenWeightAsBf16() {
        if (weight.requiresGrad()) throw new IllegalStateException("only a frozen weight can be stored as BF16");
        if (weight.dtype() == DType.BF16) return;
        Tensor narrow = Scope.escape(() -> Tensor.empty(DType.BF16, weight.shape()));
        Backends.of(weight).copy(weight, narrow);
        weight = replaceParameter("weight", narrow);
    }

    /** [out, in]. */
    public Tensor weight() {
        return weight;
    }

    /** [out] or null. */
    public Tensor bias() {
        return bias;
    }
}
