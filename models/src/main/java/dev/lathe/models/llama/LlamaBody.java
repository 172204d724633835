package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.EmbeddingOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Llama family's body (Hugging Face's LlamaModel / Qwen2Model / Qwen3Model, the {@code model.} of every
 * head): embed_tokens, layers.0…layers.{L-1}, norm. Rotary angles are computed once per forward from the
 * positions and shared by every layer.
 */
final class LlamaBody extends Module {
    private final Tensor embedTokens;
    private final List<LlamaDecoderLayer> layers = new ArrayList<>();
    private final RmsNorm norm;
    private final RotaryEmbedding rotary;

    LlamaBody(LlamaConfig config, LlamaInit init) {
        this.embedTokens = child("embed_tokens", new WeightTable(config.vocabSize(), config.hiddenSize(), init)).weight;
        for (int i = 0; i < config.numLayers(); i++) layers.add(child("layers." + i, new LlamaDecoderLayer(config, init)));
        this.norm = child("norm", new RmsNorm(config.hiddenSize(), config.rmsNormEps(), init));
        this.rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta(), config.ropeScaling());
    }

    /** ids, positions I32 [B, T], keyMask null or I32 [B, T] → hidden [B, T, C] after the final norm. */
    Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return forward(ids, positions, keyMask, null);
    }

    /**
     * {@link #forward(Tensor, Tensor, Tensor)} with documents null or I32 [B, T] (packed rows, see CausalLm): the
     * rotary angles come from {@code positions}, which restart at 0 in each document.
     */
    Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents) {
        check("ids", ids, ids);
        check("positions", positions, ids);
        if (keyMask != null) check("keyMask", keyMask, ids);
        if (documents != null) check("documents", documents, ids);
        RotaryEmbedding.Angles angles = rotary.angles(positions);
        Tensor x = EmbeddingOps.embedding(ids, embedTokens);
        for (LlamaDecoderLayer layer : layers) x = layer.forward(x, angles, keyMask, documents);
        return norm.forward(x);
    }

    /**
     * ids, positions I32 [B, Tq] of the newest positions, keyMask null or I32 [B, cache.maxLen()] → hidden
     * [B, Tq, C]; layer i appends its rotated keys and values to layer i of the cache, which then commits them.
     */
    Tensor forwardCached(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        check("ids", ids, ids);
        check("positions", positions, ids);
        if (cache.layers() != layers.size() || cache.batch() != ids.dim(0)) {
            throw new IllegalArgumentException("KV cache of " + cache.layers() + " layers x " + cache.batch()
                    + " rows for a " + layers.size() + "-layer model and ids " + ids);
        }
        try (var noGrad = GradMode.off()) {
            RotaryEmbedding.Angles angles = rotary.angles(positions);
            Tensor x = EmbeddingOps.embedding(ids, embedTokens);
            for (int i = 0; i < layers.size(); i++) x = layers.get(i).forwardCached(x, angles, cache, i, keyMask);
            cache.advance(ids.dim(1));
            return norm.forward(x);
        }
    }

    /** embed_tokens [V, C]. */
    Tensor embedTokens() {
        return embedTokens;
    }

    /** Every decoder layer's linear projections (for re-storing frozen weights). */
    List<LlamaLinear> linears() {
        List<LlamaLinear> out = new ArrayList<>();
        for (Module m : modules()) if (m instanceof LlamaLinear l) out.add(l);
        return out;
    }

    private static void check(String what, Tensor t, Tensor ids) {
        if (t.rank() != 2 || t.dtype() != DType.I32 || !Arrays.equals(t.shape(), ids.shape())) {
            throw new IllegalArgumentException(what + " " + t + " is not I32 [B, T] like ids " + ids);
        }
    }
}
