package dev.lathe.train.distributed;

import java.util.Arrays;

/** Each rank's disjoint part of a global batch. */
public final class Shards {
    private Shards() {}

    /**
     * Rank {@code rank}'s contiguous slice of {@code global} among {@code size} ranks: the first
     * {@code length % size} ranks take one row more, so the slices cover the batch in order.
     */
    public static int[] of(int[] global, int rank, int size) {
        int q = global.length / size, r = global.length % size;
        int from = rank * q + Math.min(rank, r);
        return Arrays.copyOfRange(global, from, from + q + (rank < r ? 1 : 0));
    }
}
