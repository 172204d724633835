package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import java.util.Random;

/** A pre-norm GPT-2 block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
public final class TransformerBlock extends Module {
    private final LayerNorm ln1;
    private final CausalSelfAttention attn;
    private final LayerNorm ln2;
    private final Mlp mlp;

    public TransformerBlock(int dim, int heads, float eps, Random rng) {
        this.ln1 = child("ln_1", new LayerNorm(dim, eps));
        this.attn = child("attn", new CausalSelfAttention(dim, heads, rng));
        this.ln2 = child("ln_2", new LayerNorm(dim, eps));
        this.mlp = child("mlp", new Mlp(dim, 4 * dim, rng));
    }

    /** x [B, T, C], keyMask null or I32 [B, T] → [B, T, C]. */
    public Tensor forward(Tensor x, Tensor keyMask) {
        Tensor h = ElementwiseOps.add(x, attn.forward(ln1.forward(x), keyMask));
        return ElementwiseOps.add(h, mlp.forward(ln2.forward(h)));
    }
}
