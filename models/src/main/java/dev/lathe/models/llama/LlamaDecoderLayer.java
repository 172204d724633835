package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ElementwiseOps;

/** One pre-norm layer {@code model.layers.i}: x + self_attn(input_layernorm(x)), then + mlp(post_attention_layernorm(·)). */
final class LlamaDecoderLayer extends Module {
    private final RmsNorm inputNorm;
    private final LlamaAttention attn;
    private final RmsNorm postAttentionNorm;
    private final LlamaMlp mlp;

    LlamaDecoderLayer(LlamaConfig config, LlamaInit init) {
        this.inputNorm = child("input_layernorm", new RmsNorm(config.hiddenSize(), config.rmsNormEps(), init));
        this.attn = child("self_attn", new LlamaAttention(config, init));
        this.postAttentionNorm = child("post_attention_layernorm", new RmsNorm(config.hiddenSize(), config.rmsNormEps(), init));
        this.mlp = child("mlp", new LlamaMlp(config, init));
    }

    /** x [B, T, C], keyMask and documents null or I32 [B, T] → [B, T, C]. */
    Tensor forward(Tensor x, RotaryEmbedding.Angles angles, Tensor keyMask, Tensor documents) {
        return withMlp(ElementwiseOps.add(x, attn.forward(inputNorm.forward(x), angles, keyMask, documents)));
    }

    /** x [B, Tq, C] of the newest positions, attending through layer {@code layer} of the cache. */
    Tensor forwardCached(Tensor x, RotaryEmbedding.Angles angles, KvCache cache, int layer, Tensor keyMask) {
        return withMlp(ElementwiseOps.add(x, attn.forwardCached(inputNorm.forward(x), angles, cache, layer, keyMask)));
    }

    private Tensor withMlp(Tensor h) {
        return ElementwiseOps.add(h, mlp.forward(postAttentionNorm.forward(h)));
    }
}
