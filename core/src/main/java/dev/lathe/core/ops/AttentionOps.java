package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.nn.KvCache;

/**
 * Causal multi-head self-attention as one op: the kernel keeps only the output and the row log-sum-exp for
 * backward (no [B, H, T, T] tensor), and recomputes probabilities tile by tile. The cached variants are for
 * generation: they attend through a {@link KvCache} and record no autograd history.
 */
public final class AttentionOps {
    private AttentionOps() {}

    /**
     * GPT-2 layout: qkv [B, T, 3C] packed as c_attn produces it (q | k | v, each C = heads × D), keyMask null or
     * I32 [B, T] with 0 at padding. Returns [B, T, C].
     */
    public static Tensor causalSelfAttention(Tensor qkv, int heads, Tensor keyMask) {
        return causalSelfAttention(qkv, heads, keyMask, null, 0f, 0L);
    }

    /**
     * {@link #causalSelfAttention(Tensor, int, Tensor)} for training: documents null or I32 [B, T] (packed rows:
     * each contiguous run of one id is a sequence of its own, attending only within itself), and attention
     * probabilities dropped with probability {@code dropout} under the mask keyed by {@code seed} (0: none).
     */
    public static Tensor causalSelfAttention(Tensor qkv, int heads, Tensor keyMask, Tensor documents, float dropout,
                                             long seed) {
        int b = qkv.dim(0), t = qkv.dim(1), c3 = qkv.dim(2);
        if (qkv.rank() != 3 || c3 % 3 != 0 || (c3 / 3) % heads != 0) {
            throw new IllegalArgumentException("qkv " + qkv + " is not [B, T, 3C] with C divisible by " + heads + " heads");
        }
        int c = c3 / 3, d = c / heads;
        var spec = new AttentionSpec(b, t, heads, heads, d, AttentionSpec.defaultScale(d), 0, c, 2 * c)
                .withDropout(dropout, seed);
        Device device = Devices.common("causalSelfAttention", qkv, keyMask, documents);
        Tensor packed = qkv.contiguous();
        Tensor out = Tensor.empty(device, qkv.dtype(), b, t, c);
        Tensor lse = Tensor.empty(device, DType.F32, b, heads, t);
        be(qkv).attentionForward(spec, packed, packed, packed, keyMask, documents, out, lse);
        return Node.record(out, "causalSelfAttention", (g, needs) -> {
            Tensor dqkv = Tensor.empty(device, qkv.dtype(), qkv.shape());
            be(g).attentionBackward(spec, packed, packed, packed, keyMask, documents, out, lse, g.contiguous(),
                    dqkv, dqkv, dqkv);
            return new Tensor[] {dqkv, null, null};
        }, qkv, keyMask, documents);
    }

    /**
     * Llama layout: q [B, T, H·D], k and v [B, T, Hkv·D] (grouped-query when Hkv < H). Returns [B, T, H·D].
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, Tensor keyMask) {
        return causalAttention(q, k, v, heads, kvHeads, keyMask, null, 0f, 0L);
    }

    /**
     * {@link #causalAttention(Tensor, Tensor, Tensor, int, int, Tensor)} for training: documents null or I32 [B, T]
     * (packed rows, each contiguous run of one id attending only within itself), and attention probabilities
     * dropped with probability {@code dropout} under the mask keyed by {@code seed} (0: none).
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, Tensor keyMask,
                                         Tensor documents, float dropout, long seed) {
        int b = q.dim(0), t = q.dim(1), d = q.dim(2) / heads;
        var spec = new AttentionSpec(b, t, heads, kvHeads, d, AttentionSpec.defaultScale(d), 0, 0, 0)
                .withDropout(dropout, seed);
        Device device = Devices.common("causalAttention", q, k, v, keyMask, documents);
        Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
        Tensor out = Tensor.empty(device, q.dtype(), b, t, heads * d);
        Tensor lse = Tensor.empty(device, DType.F32, b, heads, t);
        be(q).attentionForward(spec, qc, kc, vc, keyMask, documents, out, lse);
        return Node.record(out, "causalAttention", (g, needs) -> {
            Tensor dq = Tensor.empty(device, q.dtype(), q.shape());
            Tensor dk = Tensor.empty(device, k.dtype(), k.shape());
            Tensor dv = Tensor.empty(device, v.dtype(), v.shape());
            be(g).attentionBackward(spec, qc, kc, vc, keyMask, documents, out, lse, g.contiguous(), dq, dk, dv);
            return new Tensor[] {dq, dk, dv, null, null};
        }, q, k, v, keyMask, documents);
    }

    /**
     * GPT-2 layout with a cache: qkv [B, Tq, 3C] for the newest Tq positions, packed as c_attn produces it. Appends
     * its k and v columns to {@code layer} of the cache, then attends its q columns over every cached position.
     * keyMask null or I32 [B, cache.maxLen()]. Returns [B, Tq, C]. No autograd.
     */
    public static Tensor cachedSelfAttention(Tensor qkv, KvCache cache, int layer, int heads, Tensor keyMask) {
        int c3 = qkv.dim(-1);
        if (qkv.rank() != 3 || c3 % 3 != 0 || c3 / 3 != heads * cache.headDim() || cache.kvHeads() != heads) {
            throw new IllegalArgumentException("qkv " + qkv + " is not [B, Tq, 3C] for " + heads + " heads of a cache with "
                    + cache.kvHeads() + " heads of dim " + cache.headDim());
        }
        int c = c3 / 3;
        cache.append(layer, qkv, c, qkv, 2 * c);
        return decodeAttention(qkv, 0, cache, layer, heads, keyMask);
    }

    /**
     * Llama layout with a cache: q [B, Tq, H·D], k and v [B, Tq, Hkv·D] for the newest Tq positions (k already
     * rotated). Appends k and v to {@code layer} of the cache, then attends q over every cached position.
     * Returns [B, Tq, H·D]. No autograd.
     */
    public static Tensor cachedAttention(Tensor q, Tensor k, Tensor v, KvCache cache, int layer, int heads,
                                         Tensor keyMask) {
        cache.append(layer, k, v);
        return decodeAttention(q.contiguous(), 0, cache, layer, heads, keyMask);
    }

    /**
     * Attention of q's newest Tq positions over the {@code cache.filled(layer)} positions of a layer, whose last
     * Tq are those queries' own keys. q is [B, Tq, width] with its H heads at columns qCol .. qCol + H·D. Query i
     * sits at position filled - Tq + i and sees keys up to it where keyMask [B, cache.maxLen()] (or null) is
     * nonzero. Returns [B, Tq, H·D]. No autograd.
     */
    public static Tensor decodeAttention(Tensor q, int qCol, KvCache cache, int layer, int heads, Tensor keyMask) {
        if (q.rank() != 3) throw new IllegalArgumentException("q " + q + " is not [B, Tq, width]");
        int b = q.dim(0), tq = q.dim(1), d = cache.headDim();
        var spec = new AttentionSpec(b, tq, heads, cache.kvHeads(), d, AttentionSpec.defaultScale(d), qCol, 0, 0);
        Device device = Devices.common("decodeAttention", q, cache.keys(layer), keyMask);
        Tensor out = Tensor.empty(device, q.dtype(), b, tq, heads * d);
        be(q).attentionDecode(spec, cache.filled(layer), cache.maxLen(), q, cache.keys(layer), cache.values(layer),
                keyMask, out);
        return out;
    }
}
