package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.AttentionOps;
import java.util.Random;

/** GPT-2 attention: one projection to packed q|k|v, fused causal attention, output projection. */
public final class CausalSelfAttention extends Module {
    private final Linear qkv;
    private final Linear proj;
    private final int heads;

    public CausalSelfAttention(int dim, int heads, Random rng) {
        if (dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " not divisible by " + heads + " heads");
        this.qkv = child("c_attn", new Linear(dim, 3 * dim, true, rng));
        this.proj = child("c_proj", new Linear(dim, dim, true, rng));
        this.heads = heads;
    }

    /** x [B, T, C], keyMask null or I32 [B, T] → [B, T, C]. */
    public Tensor forward(Tensor x, Tensor keyMask) {
        return proj.forward(AttentionOps.causalSelfAttention(qkv.forward(x), heads, keyMask));
    }
}
