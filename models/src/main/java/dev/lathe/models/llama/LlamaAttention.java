package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.AttentionOps;
import dev.lathe.core.ops.RotaryOps;

/**
 * {@code self_attn}: q_proj [H·D, C], k_proj and v_proj [Hkv·D, C] (biases for Qwen2), Qwen3's per-head
 * q_norm / k_norm, rotary embedding of q and k, grouped-query causal attention, o_proj [C, H·D]. The family's
 * only dropout site is Hugging Face's {@code attention_dropout} on the attention probabilities, dropped inside the
 * fused kernel; off until {@link Dropout#enableAll} sets it, never on the cached (generation) path.
 */
final class LlamaAttention extends Module {
    private final LlamaConfig config;
    private final LlamaLinear qProj, kProj, vProj, oProj;
    private final RmsNorm qNorm, kNorm;
    private final Dropout attentionDropout;

    LlamaAttention(LlamaConfig config, LlamaInit init) {
        this.config = config;
        int c = config.hiddenSize();
        this.qProj = child("q_proj", new LlamaLinear(c, config.qWidth(), config.attentionBias(), init));
        this.kProj = child("k_proj", new LlamaLinear(c, config.kvWidth(), config.attentionBias(), init));
        this.vProj = child("v_proj", new LlamaLinear(c, config.kvWidth(), config.attentionBias(), init));
        this.oProj = child("o_proj", new LlamaLinear(config.qWidth(), c, config.outputBias(), init));
        this.qNorm = config.qkNorm() ? child("q_norm", new RmsNorm(config.headDim(), config.rmsNormEps(), init)) : null;
        this.kNorm = config.qkNorm() ? child("k_norm", new RmsNorm(config.headDim(), config.rmsNormEps(), init)) : null;
        this.attentionDropout = child("attention_dropout", new Dropout());
    }

    /**
     * x [B, T, C], angles of [B·T] positions, keyMask and documents null or I32 [B, T] (packed rows: each run of
     * one id attends only within itself) → [B, T, C].
     */
    Tensor forward(Tensor x, RotaryEmbedding.Angles angles, Tensor keyMask, Tensor documents) {
        float p = attentionDropout.activeProbability();
        long key = p > 0f ? attentionDropout.nextKey() : 0L;
        Tensor a = AttentionOps.causalAttention(queries(x, angles), keys(x, angles), vProj.forward(x),
                config.heads(), config.kvHeads(), keyMask, documents, p, key);
        return oProj.forward(a);
    }

    /** x [B, Tq, C] of the newest positions through layer {@code layer} of the cache → [B, Tq, C]. No autograd. */
    Tensor forwardCached(Tensor x, RotaryEmbedding.Angles angles, KvCache cache, int layer, Tensor keyMask) {
        Tensor a = AttentionOps.cachedAttention(queries(x, angles), keys(x, angles).contiguous(),
                vProj.forward(x).contiguous(), cache, layer, config.heads(), keyMask);
        return oProj.forward(a);
    }

    /** [B, T, H·D]: projected, normed per head (Qwen3), rotated. */
    private Tensor queries(Tensor x, RotaryEmbedding.Angles angles) {
        return RotaryOps.rotary(perHeadNorm(qNorm, qProj.forward(x)), angles.cos(), angles.sin());
    }

    /** [B, T, Hkv·D]. */
    private Tensor keys(Tensor x, RotaryEmbedding.Angles angles) {
        return RotaryOps.rotary(perHeadNorm(kNorm, kProj.forward(x)), angles.cos(), angles.sin());
    }

    /** RMSNorm over each head's D columns of y [B, T, heads·D] (identity without a norm). */
    private Tensor perHeadNorm(RmsNorm norm, Tensor y) {
        if (norm == null) return y;
        int[] shape = y.shape();
        return norm.forward(y.view(-1, config.headDim())).view(shape);
    }
}
