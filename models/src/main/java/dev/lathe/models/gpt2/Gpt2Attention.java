package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.AttentionOps;

/**
 * GPT-2 attention: c_attn to packed q|k|v [B, T, 3C], the fused causal kernel (dropping probabilities with
 * attn_dropout inside it), c_proj, resid_dropout.
 */
final class Gpt2Attention extends Module {
    private final Conv1D cAttn;
    private final Conv1D cProj;
    private final int heads;
    private final Dropout attnDropout;
    private final Dropout residDropout;

    Gpt2Attention(int dim, int heads, float std, float projStd, Gpt2Init init) {
        this.cAttn = child("c_attn", new Conv1D(dim, 3 * dim, std, init));
        this.cProj = child("c_proj", new Conv1D(dim, dim, projStd, init));
        this.heads = heads;
        this.attnDropout = child("attn_dropout", new Dropout());
        this.residDropout = child("resid_dropout", new Dropout());
    }

    /** x [B, T, C], keyMask and documents null or I32 [B, T] → [B, T, C]. */
    Tensor forward(Tensor x, Tensor keyMask, Tensor documents) {
        float p = attnDropout.activeProbability();
        long key = p > 0f ? attnDropout.nextKey() : 0L;
        Tensor a = AttentionOps.causalSelfAttention(cAttn.forward(x), heads, keyMask, documents, p, key);
        return residDropout.forward(cProj.forward(a));
    }

    /**
     * x [B, Tq, C] of the newest positions → [B, Tq, C]: their keys and values go into layer {@code layer} of
     * the cache and the queries attend over every cached position; keyMask null or I32 [B, cache.maxLen()].
     */
    Tensor forwardCached(Tensor x, KvCache cache, int layer, Tensor keyMask) {
        return cProj.forward(AttentionOps.cachedSelfAttention(cAttn.forward(x), cache, layer, heads, keyMask));
    }
}
