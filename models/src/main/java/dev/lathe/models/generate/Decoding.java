package dev.lathe.models.generate;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.EmbeddingOps;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import java.util.Arrays;

/**
 * How a generation gets each step's next-token logits from the model: {@link CachedDecoding} (prefill a KV
 * cache, then one token per step) or {@link FullDecoding} (the whole sequence again every step). Logits are
 * created in the caller's open scope; the grad mode is the caller's too.
 */
interface Decoding extends AutoCloseable {
    /** Logits F32 [B, V] at each prompt's last token. */
    Tensor firstLogits();

    /** Appends one token per row ([B]) and returns the logits [B, V] that follow it. */
    Tensor nextLogits(int[] tokens);

    /** Frees what the decoding holds (the KV cache). */
    @Override
    void close();

    /** Rows of different lengths padded with {@code pad} to t tokens on {@code side}: flat [B·t]. */
    static int[] paddedIds(int[][] rows, int t, Padding.Side side, int pad) {
        int[] ids = new int[rows.length * t];
        Arrays.fill(ids, pad);
        for (int b = 0; b < rows.length; b++) {
            int from = side == Padding.Side.RIGHT ? 0 : t - rows[b].length;
            System.arraycopy(rows[b], 0, ids, b * t + from, rows[b].length);
        }
        return ids;
    }

    /** hidden [B, T, C] → logits [B, V] of row b at position lastIndex[b] (only those rows go through the head). */
    static Tensor lastTokenLogits(CausalLm model, Tensor hidden, int[] lastIndex) {
        int b = hidden.dim(0), t = hidden.dim(1), c = hidden.dim(2);
        int[] rows = new int[b];
        for (int i = 0; i < b; i++) rows[i] = i * t + lastIndex[i];
        // Gathering rows of [B·T, C] is an embedding lookup; the row indices are built on the host and moved.
        Tensor last = EmbeddingOps.embedding(Tensor.ofInts(rows, b).moveTo(hidden.device()),
                hidden.contiguous().view(b * t, c));
        return model.logits(last);
    }
}
