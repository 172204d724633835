package dev.lathe.train.data;

import dev.lathe.core.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Rows that each hold several sequences back to back (packing), right-padded to the longest row: ids
 * [rows, width], per-token positions restarting at 0 with each sequence, and document ids (sequence j of a row
 * is document j; padding is document −1), so attention stays within each sequence. {@code starts[r][j]} is
 * where sequence j of row r begins.
 */
public record PackedBatch(int[] ids, int[] positions, int[] documents, int[] lengths, int[][] starts, int rows,
                          int width) {
    /** {@code rows.get(r)} are the sequences of row r, in order. */
    public static PackedBatch of(List<List<int[]>> rows, int padId) {
        int n = rows.size(), width = 0;
        int[] lengths = new int[n];
        for (int r = 0; r < n; r++) {
            for (int[] s : rows.get(r)) lengths[r] += s.length;
            width = Math.max(width, lengths[r]);
        }
        if (n == 0 || width == 0) throw new IllegalArgumentException("an empty batch");
        int[] ids = new int[n * width], positions = new int[n * width], documents = new int[n * width];
        Arrays.fill(ids, padId);
        Arrays.fill(documents, -1);
        int[][] starts = new int[n][];
        for (int r = 0; r < n; r++) {
            List<int[]> seqs = rows.get(r);
            starts[r] = new int[seqs.size()];
            int at = r * width;
            for (int j = 0; j < seqs.size(); j++) {
                int[] s = seqs.get(j);
                starts[r][j] = at - r * width;
                System.arraycopy(s, 0, ids, at, s.length);
                for (int i = 0; i < s.length; i++) {
                    positions[at + i] = i;
                    documents[at + i] = j;
                }
                at += s.length;
            }
        }
        return new PackedBatch(ids, positions, documents, lengths, starts, n, width);
    }

    public Tensor idsTensor() {
        return Tensor.ofInts(ids, rows, width);
    }

    /** I32 [rows, width]: each sequence's 0, 1, …; 0 on padding. */
    public Tensor positionsTensor() {
        return Tensor.ofInts(positions, rows, width);
    }

    /** I32 [rows, width]: the sequence index within the row, −1 on padding. */
    public Tensor documentsTensor() {
        return Tensor.ofInts(documents, rows, width);
    }

    /** I32 [rows, width]: 1 on tokens, 0 on padding. */
    public Tensor keyMask() {
        int[] m = new int[rows * width];
        for (int r = 0; r < rows; r++) Arrays.fill(m, r * width, r * width + lengths[r], 1);
        return Tensor.ofInts(m, rows, width);
    }

    /** Real (non-padding) tokens. */
    public long realTokens() {
        long total = 0;
        for (int len : lengths) total += len;
        return total;
    }
}
