package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ActivationOps;
import dev.lathe.core.ops.ElementwiseOps;

/** SwiGLU {@code mlp}: down_proj(silu(gate_proj(x)) · up_proj(x)). */
final class LlamaMlp extends Module {
    private final LlamaLinear gateProj, upProj, downProj;

    LlamaMlp(LlamaConfig config, LlamaInit init) {
        int c = config.hiddenSize(), f = config.intermediateSize();
        this.gateProj = child("gate_proj", new LlamaLinear(c, f, config.mlpBias(), init));
        this.upProj = child("up_proj", new LlamaLinear(c, f, config.mlpBias(), init));
        this.downProj = child("down_proj", new LlamaLinear(f, c, config.mlpBias(), init));
    }

    /** x [.., C] → [.., C]. */
    Tensor forward(Tensor x) {
        return downProj.forward(ElementwiseOps.mul(ActivationOps.silu(gateProj.forward(x)), upProj.forward(x)));
    }
}
