package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.LayerNorm;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.models.io.Gpt2Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GPT-2's body (Hugging Face's GPT2Model, the {@code transformer.} of every head): wte, wpe, drop, h.0…h.{L-1},
 * ln_f. The dropout sites (drop, each block's attn_dropout, resid_dropout and mlp.dropout) are off until
 * {@link Dropout#enableAll} sets them; the cached (generation) path never drops.
 */
final class Gpt2Transformer extends Module {
    private final Gpt2Embedding wte;
    private final Gpt2Embedding wpe;
    private final Dropout drop;
    private final List<Gpt2Block> blocks = new ArrayList<>();
    private final LayerNorm lnF;

    Gpt2Transformer(Gpt2Config config, Gpt2Init init) {
        float std = (float) config.initializerRange();
        this.wte = child("wte", new Gpt2Embedding(config.vocabSize(), config.nEmbd(), std, init));
        this.wpe = child("wpe", new Gpt2Embedding(config.nPositions(), config.nEmbd(), std, init));
        this.drop = child("drop", new Dropout());
        for (int i = 0; i < config.nLayer(); i++) blocks.add(child("h." + i, new Gpt2Block(config, init)));
        this.lnF = child("ln_f", new LayerNorm(config.nEmbd(), (float) config.layerNormEpsilon()));
    }

    /** ids, positions I32 [B, T], keyMask null or I32 [B, T] → hidden [B, T, C] after ln_f. */
    Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return forward(ids, positions, keyMask, null);
    }

    /** {@link #forward(Tensor, Tensor, Tensor)} with documents null or I32 [B, T] (packed rows, see CausalLm). */
    Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents) {
        check("ids", ids, ids);
        check("positions", positions, ids);
        if (keyMask != null) check("keyMask", keyMask, ids);
        if (documents != null) check("documents", documents, ids);
        Tensor x = drop.forward(ElementwiseOps.add(wte.forward(ids), wpe.forward(positions)));
        for (Gpt2Block block : blocks) x = block.forward(x, keyMask, documents);
        return lnF.forward(x);
    }

    /**
     * ids, positions I32 [B, Tq] of the newest positions, keyMask null or I32 [B, cache.maxLen()] → hidden
     * [B, Tq, C] after ln_f; block i appends to layer i of the cache, which then commits the Tq positions.
     */
    Tensor forwardCached(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        check("ids", ids, ids);
        check("positions", positions, ids);
        if (cache.layers() != blocks.size() || cache.batch() != ids.dim(0)) {
            throw new IllegalArgumentException("KV cache of " + cache.layers() + " layers x " + cache.batch()
                    + " rows for a " + blocks.size() + "-layer model and ids " + ids);
        }
        try (var noGrad = GradMode.off()) {
            Tensor x = ElementwiseOps.add(wte.forward(ids), wpe.forward(positions));
            for (int i = 0; i < blocks.size(); i++) x = blocks.get(i).forwardCached(x, cache, i, keyMask);
            cache.advance(ids.dim(1));
            return lnF.forward(x);
        }
    }

    /** [V, C]. */
    Tensor wte() {
        return wte.weight();
    }

    private static void check(String what, Tensor t, Tensor ids) {
        if (t.rank() != 2 || t.dtype() != DType.I32 || !Arrays.equals(t.shape(), ids.shape())) {
            throw new IllegalArgumentException(what + " " + t + " is not I32 [B, T] like ids " + ids);
        }
    }
}
