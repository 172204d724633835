package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.LayerNorm;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.models.io.Gpt2Config;

/** One pre-norm block {@code h.i}: x + attn(ln_1(x)), then + mlp(ln_2(·)). */
final class Gpt2Block extends Module {
    private final LayerNorm ln1;
    private final Gpt2Attention attn;
    private final LayerNorm ln2;
    private final Gpt2Mlp mlp;

    Gpt2Block(Gpt2Config config, Gpt2Init init) {
        int c = config.nEmbd();
        float eps = (float) config.layerNormEpsilon();
        float std = (float) config.initializerRange();
        // Hugging Face scales the residual projections' init by 1/sqrt(2 · n_layer) (GPT-2 paper, section 2.3).
        float projStd = (float) (config.initializerRange() / Math.sqrt(2.0 * config.nLayer()));
        this.ln1 = child("ln_1", new LayerNorm(c, eps));
        this.attn = child("attn", new Gpt2Attention(c, config.nHead(), std, projStd, init));
        this.ln2 = child("ln_2", new LayerNorm(c, eps));
        this.mlp = child("mlp", new Gpt2Mlp(c, config.mlpHidden(), std, projStd, init));
    }

    /** x [B, T, C], keyMask and documents null or I32 [B, T] → [B, T, C]. */
    Tensor forward(Tensor x, Tensor keyMask, Tensor documents) {
        return withMlp(ElementwiseOps.add(x, attn.forward(ln1.forward(x), keyMask, documents)));
    }

    /** x [B, Tq, C] of the newest positions, attending through layer {@code layer} of the cache → [B, Tq, C]. */
    Tensor forwardCached(Tensor x, KvCache cache, int layer, Tensor keyMask) {
        return withMlp(ElementwiseOps.add(x, attn.forwardCached(ln1.forward(x), cache, layer, keyMask)));
    }

    /** h + mlp(ln_2(h)). */
    private Tensor withMlp(Tensor h) {
        return ElementwiseOps.add(h, mlp.forward(ln2.forward(h)));
    }
}
