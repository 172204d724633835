package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.AttentionSpec;

/**
 * Causal multi-head self-attention as one op: the kernel keeps only the output and the row log-sum-exp for
 * backward (no [B, H, T, T] tensor), and recomputes probabilities tile by tile.
 */
public final class AttentionOps {
    private AttentionOps() {}

    /**
     * GPT-2 layout: qkv [B, T, 3C] packed as c_attn produces it (q | k | v, each C = heads × D), keyMask null or
     * I32 [B, T] with 0 at padding. Returns [B, T, C].
     */
    public static Tensor causalSelfAttention(Tensor qkv, int heads, Tensor keyMask) {
        int b = qkv.dim(0), t = qkv.dim(1), c3 = qkv.dim(2);
        if (qkv.rank() != 3 || c3 % 3 != 0 || (c3 / 3) % heads != 0) {
            throw new IllegalArgumentException("qkv " + qkv + " is not [B, T, 3C] with C divisible by " + heads + " heads");
        }
        int c = c3 / 3, d = c / heads;
        var spec = new AttentionSpec(b, t, heads, heads, d, AttentionSpec.defaultScale(d), 0, c, 2 * c);
        Tensor packed = qkv.contiguous();
        Tensor out = Tensor.empty(qkv.dtype(), b, t, c);
        Tensor lse = Tensor.empty(b, heads, t);
        be(qkv).attentionForward(spec, packed, packed, packed, keyMask, out, lse);
        return Node.record(out, "causalSelfAttention", (g, needs) -> {
            Tensor dqkv = Tensor.empty(qkv.dtype(), qkv.shape());
            be(g).attentionBackward(spec, packed, packed, packed, keyMask, out, lse, g.contiguous(), dqkv, dqkv, dqkv);
            return new Tensor[] {dqkv, null};
        }, qkv, keyMask);
    }

    /**
     * Llama layout: q [B, T, H·D], k and v [B, T, Hkv·D] (grouped-query when Hkv < H). Returns [B, T, H·D].
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, Tensor keyMask) {
        int b = q.dim(0), t = q.dim(1), d = q.dim(2) / heads;
        var spec = new AttentionSpec(b, t, heads, kvHeads, d, AttentionSpec.defaultScale(d), 0, 0, 0);
        Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
        Tensor out = Tensor.empty(q.dtype(), b, t, heads * d);
        Tensor lse = Tensor.empty(b, heads, t);
        be(q).attentionForward(spec, qc, kc, vc, keyMask, out, lse);
        return Node.record(out, "causalAttention", (g, needs) -> {
            Tensor dq = Tensor.empty(q.dtype(), q.shape());
            Tensor dk = Tensor.empty(k.dtype(), k.shape());
            Tensor dv = Tensor.empty(v.dtype(), v.shape());
            be(g).attentionBackward(spec, qc, kc, vc, keyMask, out, lse, g.contiguous(), dq, dk, dv);
            return new Tensor[] {dq, dk, dv, null};
        }, q, k, v, keyMask);
    }
}
