package dev.lathe.core.backend;

/**
 * Geometry of a causal attention call. q, k and v are [B, T, width] tensors (they may be one packed tensor);
 * head {@code h} of q occupies columns {@code qCol + h*D .. qCol + (h+1)*D} of its row, and likewise for k and
 * v with {@code Hkv} heads (grouped-query attention when Hkv < H). Gradients use the same layout.
 *
 * <p>{@code dropout} is the probability of dropping each attention probability (GPT-2's attn_pdrop; 0: none):
 * probability (b, h, t, s) is kept when {@link DropoutMask#keep}({@code dropoutSeed}, ((b·H + h)·T + t)·T + s)
 * and then scaled by 1 / (1 − dropout), the row's softmax itself being computed undropped.
 */
public record AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale,
                            int qCol, int kCol, int vCol, float dropout, long dropoutSeed) {
    public AttentionSpec {
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        DropoutMask.check(dropout);
    }

    /** Without dropout. */
    public AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale,
                         int qCol, int kCol, int vCol) {
        this(batch, seqLen, heads, kvHeads, headDim, scale, qCol, kCol, vCol, 0f, 0L);
    }

    /** This geometry with probability dropout p keyed by {@code seed}. */
    public AttentionSpec withDropout(float p, long seed) {
        return new AttentionSpec(batch, seqLen, heads, kvHeads, headDim, scale, qCol, kCol, vCol, p, seed);
    }

    /** Standard scaling 1/sqrt(D). */
    public static float defaultScale(int headDim) {
        return (float) (1.0 / Math.sqrt(headDim));
    }
}
