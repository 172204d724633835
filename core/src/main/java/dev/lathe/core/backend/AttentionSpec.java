package dev.lathe.core.backend;

/**
 * Geometry of a causal attention call. q, k and v are [B, T, width] tensors (they may be one packed tensor);
 * head {@code h} of q occupies columns {@code qCol + h*D .. qCol + (h+1)*D} of its row, and likewise for k and
 * v with {@code Hkv} heads (grouped-query attention when Hkv < H). Gradients use the same layout.
 */
public record AttentionSpec(int batch, int seqLen, int heads, int kvHeads, int headDim, float scale,
                            int qCol, int kCol, int vCol) {
    public AttentionSpec {
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
    }

    /** Standard scaling 1/sqrt(D). */
    public static float defaultScale(int headDim) {
        return (float) (1.0 / Math.sqrt(headDim));
    }
}
