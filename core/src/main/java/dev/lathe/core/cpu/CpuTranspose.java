package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Materialises a transpose of 4-byte elements: src [batch, rows, cols] to dst [batch, cols, rows]. */
final class CpuTranspose {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    /** 32x32 tiles of 4 bytes: a source tile and a destination tile together fit in L1. */
    private static final int TILE = 32;

    private CpuTranspose() {}

    static void transpose(int batch, int rows, int cols, MemorySegment src, MemorySegment dst) {
        long mat = (long) rows * cols;
        int rowTiles = (rows + TILE - 1) / TILE;
        CpuParallel.forRange(batch * rowTiles, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
            for (int task = from; task < to; task++) {
                long base = (task / rowTiles) * mat;
                int r0 = (task % rowTiles) * TILE, r1 = Math.min(rows, r0 + TILE);
                for (int c0 = 0; c0 < cols; c0 += TILE) {
                    int c1 = Math.min(cols, c0 + TILE);
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            dst.setAtIndex(I32, base + (long) c * rows + r, src.getAtIndex(I32, base + (long) r * cols + c));
                        }
                    }
                }
            }
        });
    }
}
