package dev.lathe.core.cpu;

/**
 * Parallel loops over long element counts. {@link CpuParallel#forRange} indexes with int, so the elements are
 * grouped into fixed blocks and the blocks are what gets split; each body call gets a contiguous element range.
 */
final class CpuRanges {
    /** Elements a block: 16 KiB of floats, a cheap unit of work that keeps the block count an int for any n. */
    static final int BLOCK = 4096;
    /** Blocks a task at least: below ~32K elements a fork costs more than the loop, so small inputs stay inline. */
    static final int GRAIN_BLOCKS = 8;

    private CpuRanges() {}

    /** Body of a loop over the half-open element range [from, to). */
    @FunctionalInterface
    interface LongRangeBody {
        void run(long from, long to);
    }

    /** Runs body over [0, n) in contiguous ranges of whole blocks (the last may be short), possibly in parallel. */
    static void forElements(long n, LongRangeBody body) {
        if (n <= 0) return;
        long blocks = (n + BLOCK - 1) / BLOCK;
        CpuParallel.forRange(Math.toIntExact(blocks), GRAIN_BLOCKS,
                (b0, b1) -> body.run((long) b0 * BLOCK, Math.min(n, (long) b1 * BLOCK)));
    }

    /** Start of the vector tail: the largest index <= to such that (index - from) is a multiple of lanes. */
    static long vectorEnd(long from, long to, int lanes) {
        return to - (to - from) % lanes;
    }
}
