package dev.lathe.train.data;

import dev.lathe.core.Tensor;
import dev.lathe.models.Padding;
import java.util.Arrays;
import java.util.List;

/**
 * Rows of token ids right-padded to the longest one: ids [rows, width] row-major, padded with {@code padId}.
 * Masks, positions and last-token indices come from the lengths, never from ids (GPT-2 pads with eos).
 */
public record PaddedBatch(int[] ids, int[] lengths, int rows, int width) {
    public static PaddedBatch rightPadded(List<int[]> sequences, int padId) {
        int rows = sequences.size(), width = 0;
        for (int[] s : sequences) width = Math.max(width, s.length);
        if (rows == 0 || width == 0) throw new IllegalArgumentException("an empty batch");
        int[] ids = new int[rows * width], lengths = new int[rows];
        Arrays.fill(ids, padId);
        for (int r = 0; r < rows; r++) {
            int[] s = sequences.get(r);
            System.arraycopy(s, 0, ids, r * width, s.length);
            lengths[r] = s.length;
        }
        return new PaddedBatch(ids, lengths, rows, width);
    }

    /** I32 [rows, width] in the open scope. */
    public Tensor idsTensor() {
        return Tensor.ofInts(ids, rows, width);
    }

    /** I32 [rows, width]: 0..width-1 on every row (right padding). */
    public Tensor positions() {
        return Padding.positions(lengths, width, Padding.Side.RIGHT);
    }

    /** I32 [rows, width]: 1 on real tokens, 0 on padding. */
    public Tensor keyMask() {
        return Padding.mask(lengths, width, Padding.Side.RIGHT);
    }

    /** Each row's last real token index along width. */
    public int[] lastTokenIndex() {
        return Padding.lastTokenIndex(lengths, width, Padding.Side.RIGHT);
    }

    /** Real (non-padding) tokens. */
    public long realTokens() {
        long n = 0;
        for (int len : lengths) n += len;
        return n;
    }
}
