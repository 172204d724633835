package dev.lathe.models.lora;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ElementwiseOps;
import java.util.function.Supplier;

/**
 * A weight layer that LoRA can adapt: GPT-2's Conv1D (weight [in, out], PEFT's fan_in_fan_out) or the Llama
 * family's Linear (weight [out, in]). It holds the weight, the optional bias and the attached adapter
 * ({@code lora_A}, {@code lora_B} children, PEFT's names); the subclass computes the base product and adds
 * {@link #plusAdapter}. A frozen weight can be re-stored as BF16, which the subclass then widens per GEMM.
 */
public abstract class AdaptableLayer extends Module {
    private Tensor weight;
    private final Tensor bias;
    private LoraAdapter lora;

    /** Registers {@code weight} and, unless {@code bias} is null, {@code bias}. */
    protected AdaptableLayer(Supplier<Tensor> weight, Supplier<Tensor> bias) {
        this.weight = parameter("weight", weight);
        this.bias = bias == null ? null : parameter("bias", bias);
    }

    /** True when the weight is stored [in, out] (Conv1D), false for [out, in] (Linear). */
    public abstract boolean fanInFanOut();

    public final int inFeatures() {
        return weight.dim(fanInFanOut() ? 0 : 1);
    }

    public final int outFeatures() {
        return weight.dim(fanInFanOut() ? 1 : 0);
    }

    /** [in, out] or [out, in], see {@link #fanInFanOut()}; F32, or BF16 once re-stored. */
    public final Tensor weight() {
        return weight;
    }

    /** [out] or null. */
    public final Tensor bias() {
        return bias;
    }

    /** The attached adapter, or null. */
    public final LoraAdapter lora() {
        return lora;
    }

    /** Adds {@code adapter} (its lora_A [r, in], lora_B [out, r]) to this layer's output, moving it to the weight's device. */
    public final void attachLora(LoraAdapter adapter) {
        if (lora != null) throw new IllegalStateException("a LoRA adapter is already attached");
        if (adapter.a().weight().dim(1) != inFeatures() || adapter.b().weight().dim(0) != outFeatures()) {
            throw new IllegalArgumentException("LoRA adapter " + adapter.a().weight() + ", " + adapter.b().weight()
                    + " does not fit a layer of " + inFeatures() + " inputs and " + outFeatures() + " outputs");
        }
        adapter.a().to(weight.device());
        adapter.b().to(weight.device());
        child("lora_A", adapter.a());
        child("lora_B", adapter.b());
        lora = adapter;
    }

    /** Re-stores the frozen weight as BF16 (rounded to nearest even); the forward then widens it per GEMM. */
    public final void storeFrozenWeightAsBf16() {
        if (weight.requiresGrad()) throw new IllegalStateException("only a frozen weight can be stored as BF16");
        if (weight.dtype() == DType.BF16) return;
        Tensor narrow = Scope.escape(() -> Tensor.empty(weight.device(), DType.BF16, weight.shape()));
        Backends.of(weight).copy(weight, narrow);
        weight = replaceParameter("weight", narrow);
    }

    /**
     * x [.., in] and the base output y [.., out] → y + delta(x), or y itself without an adapter or while the
     * adapters are switched off. The adapter runs on x's rows [N, in], one GEMM each for A and B.
     */
    protected final Tensor plusAdapter(Tensor x, Tensor y) {
        if (lora == null) return y;
        Tensor delta = lora.delta(x.contiguous().view(-1, inFeatures()));
        return delta == null ? y : ElementwiseOps.add(y, delta.view(y.shape()));
    }
}
