package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.lora.LoraAdapter;

/**
 * Hugging Face's GPT-2 {@code Conv1D}: y = x W + b with W stored [in, out] (the transpose of a Linear's
 * [out, in]). The layout is kept as stored, so loading and saving copy bytes and GEMM reads W directly: the
 * forward is x @ W, the input gradient g @ Wᵀ and the weight gradient xᵀ @ g, all without a transposed copy.
 * A LoRA adapter can be attached ({@code lora_A}, {@code lora_B} children, PEFT's names): y += delta(x); a frozen
 * W can be re-stored as BF16 and is then widened per GEMM.
 */
public final class Conv1D extends Module {
    private Tensor weight;
    private final Tensor bias;
    private LoraAdapter lora;

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
        Tensor xw = weight.dtype() == DType.BF16 ? FrozenBf16Matmul.matmul(rows, weight) : MatmulOps.matmul(rows, weight);
        Tensor y = ElementwiseOps.add(xw, bias);
        Tensor delta = lora == null ? null : lora.delta(rows);
        return (delta == null ? y : ElementwiseOps.add(y, delta)).view(shape);
    }

    /** Adds {@code adapter} (its lora_A [r, in], lora_B [out, r]) to this layer's output. */
    public void attachLora(LoraAdapter adapter) {
        if (lora != null) throw new IllegalStateException("a LoRA adapter is already attached");
        if (adapter.a().weight().dim(1) != weight.dim(0) || adapter.b().weight().dim(0) != weight.dim(1)) {
            throw new IllegalArgumentException("LoRA adapter " + adapter.a().weight() + ", " + adapter.b().weight()
                    + " does not fit Conv1D weight [in, out] " + weight);
        }
        child("lora_A", adapter.a());
        child("lora_B", adapter.b());
        lora = adapter;
    }

    /** Re-stores the frozen weight as BF16 (rounded to nearest even); the forward then widens it per GEMM. */
    public void storeFrozenWeightAsBf16() {
        if (weight.requiresGrad()) throw new IllegalStateException("only a frozen weight can be stored as BF16");
        if (weight.dtype() == DType.BF16) return;
        Tensor narrow = Scope.escape(() -> Tensor.empty(DType.BF16, weight.shape()));
        Backends.of(weight).copy(weight, narrow);
        weight = replaceParameter("weight", narrow);
    }

    /** [in, out]. */
    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    /** The attached adapter, or null. */
    public LoraAdapter lora() {
        return lora;
    }
}
