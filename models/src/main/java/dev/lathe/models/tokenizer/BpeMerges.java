package dev.lathe.models.tokenizer;

/**
 * The merge table of a BPE model, over token ids: merge {@code r} (its rank) joins the adjacent pair
 * {@code (left(r), right(r))} into {@code merged(r)}; lower ranks merge first. Lookups go through an
 * open-addressing table keyed by the pair packed into a long, so encoding allocates no boxes.
 * Immutable and safe to share between threads.
 */
final class BpeMerges {
    private static final long EMPTY = -1L;
    private static final int DEAD = -1;

    private final int[] left, right, merged;
    private final long[] keys;
    private final int[] rankAt;
    private final int mask;

    /** Merge {@code r} is {@code (left[r], right[r]) -> merged[r]}; a pair listed twice keeps its last rank. */
    BpeMerges(int[] left, int[] right, int[] merged) {
        this.left = left.clone();
        this.right = right.clone();
        this.merged = merged.clone();
        int capacity = Integer.highestOneBit(Math.max(4, left.length * 2 - 1)) << 1;
        keys = new long[capacity];
        rankAt = new int[capacity];
        mask = capacity - 1;
        java.util.Arrays.fill(keys, EMPTY);
        for (int r = 0; r < left.length; r++) {
            long key = pack(left[r], right[r]);
            int slot = slotOf(key);
            keys[slot] = key;
            rankAt[slot] = r;
        }
    }

    private static long pack(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** The slot holding {@code key}, or the empty slot where it would go (linear probing). */
    private int slotOf(long key) {
        int slot = (int) mix(key) & mask;
        while (keys[slot] != EMPTY && keys[slot] != key) slot = (slot + 1) & mask;
        return slot;
    }

    private static long mix(long x) {
        x *= 0x9E3779B97F4A7C15L;
        return x ^ (x >>> 29);
    }

    /** Rank of the merge of {@code (a, b)}, or -1 when the pair never merges. */
    int rank(int a, int b) {
        long key = pack(a, b);
        int slot = slotOf(key);
        return keys[slot] == key ? rankAt[slot] : -1;
    }

    int size() {
        return left.length;
    }

    int left(int rank) {
        return left[rank];
    }

    int right(int rank) {
        return right[rank];
    }

    int merged(int rank) {
        return merged[rank];
    }

    /**
     * Applies the merges to {@code symbols[0, n)} in place and returns the new length: repeatedly the
     * lowest-ranked adjacent pair, leftmost first, as GPT-2's {@code bpe()} and Hugging Face's BPE do. The
     * symbols form a linked list and the candidate pairs a min-heap of {@code rank << 32 | position}, so a word
     * of n symbols costs O(n log n) rather than the quadratic rescans of the reference loop.
     */
    int apply(int[] symbols, int n) {
        if (n < 2) return n;
        int[] next = new int[n], prev = new int[n];
        long[] heap = new long[3 * n];
        int size = 0;
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1;
        }
        for (int i = 0; i + 1 < n; i++) {
            int r = rank(symbols[i], symbols[i + 1]);
            if (r >= 0) size = push(heap, size, ((long) r << 32) | i);
        }
        while (size > 0) {
            long top = heap[0];
            size = pop(heap, size);
            int r = (int) (top >>> 32), pos = (int) top;
            if (symbols[pos] == DEAD || next[pos] >= n) continue;
            int nx = next[pos];
            if (rank(symbols[pos], symbols[nx]) != r) continue; // stale: a neighbour merged first
            symbols[pos] = merged[r];
            symbols[nx] = DEAD;
            next[pos] = next[nx];
            if (next[pos] < n) prev[next[pos]] = pos;
            if (prev[pos] >= 0) {
                int rl = rank(symbols[prev[pos]], symbols[pos]);
                if (rl >= 0) size = push(heap, size, ((long) rl << 32) | prev[pos]);
            }
            if (next[pos] < n) {
                int rr = rank(symbols[pos], symbols[next[pos]]);
                if (rr >= 0) size = push(heap, size, ((long) rr << 32) | pos);
            }
        }
        int m = 0;
        for (int i = 0; i < n; i = next[i]) symbols[m++] = symbols[i];
        return m;
    }

    private static int push(long[] heap, int size, long v) {
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= v) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = v;
        return size + 1;
    }

    /** Removes the minimum (heap[0]); returns the new size. */
    private static int pop(long[] heap, int size) {
        long last = heap[--size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        if (size > 0) heap[i] = last;
        return size;
    }
}
