package dev.lathe.train.data;

import java.util.Arrays;
import java.util.Random;

/**
 * Micro-batches of example indices: each epoch is a fresh seeded permutation of 0..size-1 cut into
 * {@code batchSize} pieces (the epoch's last piece may be shorter, as a DataLoader without drop_last gives).
 * The same seed gives the same order.
 */
public final class EpochSampler {
    private final int size;
    private final int batchSize;
    private final long seed;
    private final Random rng;
    private int[] order;
    private int cursor;
    private long batchesServed;

    public EpochSampler(int size, int batchSize, long seed) {
        if (size < 1) throw new IllegalArgumentException("no examples");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.rng = new Random(seed);
        this.cursor = size;
    }

    /** Micro-batches in one pass over the data: ceil(size / batchSize). */
    public static long batchesPerEpoch(int size, int batchSize) {
        return (size + batchSize - 1) / batchSize;
    }

    /** The next micro-batch's example indices. */
    public int[] next() {
        if (cursor == size) {
            order = permutation();
            cursor = 0;
        }
        int to = Math.min(size, cursor + batchSize);
        int[] batch = Arrays.copyOfRange(order, cursor, to);
        cursor = to;
        batchesServed++;
        return batch;
    }

    /**
     * A sampler that has already served {@code batchesServed} micro-batches: the permutations drawn so far are
     * drawn again from the seed (the random generator's whole state), so the next batches are exactly those an
     * uninterrupted run would get.
     */
    public static EpochSampler resumed(int size, int batchSize, long seed, long batchesServed) {
        if (batchesServed < 0) throw new IllegalArgumentException("batches served must be >= 0, got " + batchesServed);
        EpochSampler s = new EpochSampler(size, batchSize, seed);
        while (s.batchesServed < batchesServed) {
            if (s.cursor == size) {
                s.order = s.permutation();
                s.cursor = 0;
            }
            s.cursor = Math.min(size, s.cursor + batchSize);
            s.batchesServed++;
        }
        return s;
    }

    public long seed() {
        return seed;
    }

    public int size() {
        return size;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Micro-batches served so far (with the seed, the sampler's whole state). */
    public long batchesServed() {
        return batchesServed;
    }

    /** Epochs consumed so far, fractional (what Hugging Face logs as {@code epoch}). */
    public double epoch() {
        return (double) batchesServed / batchesPerEpoch(size, batchSize);
    }

    private int[] permutation() {
        int[] p = new int[size];
        for (int i = 0; i < size; i++) p[i] = i;
        for (int i = size - 1; i > 0; i--) { // Fisher–Yates
            int j = rng.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }
}
