package dev.lathe.core.cuda;

/**
 * Grid sizes of the core kernels' launch contract (core/src/main/cuda/KERNELS.md). A size of 0 means there is
 * nothing to do: {@link CudaLaunch#launch} skips such launches (the driver rejects an empty grid).
 */
final class CudaGrid {
    /** Threads a block of a grid-stride or per-row kernel. */
    static final int BLOCK = 256;
    /** Most blocks a grid-stride launch uses: 65535 · 8 (more add no parallelism, the loop covers the rest). */
    static final int MAX_GRID_STRIDE_BLOCKS = 65535 * 8;
    /** Most partial sums reduce_sum_partials writes (reduce_sum_final's one block of 1024 threads adds them). */
    static final int MAX_REDUCE_PARTIALS = 1024;
    /** Largest gridDim.y / gridDim.z. */
    static final int MAX_GRID_YZ = 65535;

    private CudaGrid() {}

    /** ceil(n / d) as an int grid size; fails where it does not fit. */
    static int ceilDiv(long n, int d) {
        if (n < 0 || d <= 0) throw new IllegalArgumentException("ceilDiv(" + n + ", " + d + ")");
        return Math.toIntExact((n + d - 1) / d);
    }

    /** Blocks for a grid-stride kernel over n elements with {@link #BLOCK} threads: min(ceil(n / 256), 65535 · 8). */
    static int gridStride(long n) {
        return (int) Math.min((n + BLOCK - 1) / BLOCK, MAX_GRID_STRIDE_BLOCKS);
    }

    /** Partial sums (= blocks) of reduce_sum_partials over n elements: min(ceil(n / 256), 1024). */
    static int reducePartials(long n) {
        return (int) Math.min((n + BLOCK - 1) / BLOCK, MAX_REDUCE_PARTIALS);
    }

    /** Checks a gridDim.y or gridDim.z value (heads, batch) against the hardware limit. */
    static int yz(int value, String what) {
        if (value > MAX_GRID_YZ) throw new IllegalArgumentException(what + " " + value + " exceeds the grid limit " + MAX_GRID_YZ);
        return value;
    }
}
