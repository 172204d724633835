package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

import static dev.lathe.core.cpu.EwTestUtil.SIZES;
import static dev.lathe.core.cpu.EwTestUtil.assertClose;
import static dev.lathe.core.cpu.EwTestUtil.floats;
import static dev.lathe.core.cpu.EwTestUtil.random;
import static dev.lathe.core.cpu.EwTestUtil.toDoubles;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuReduceTest {
    /** [rows, C]: single element, tails on both axes, wide rows, and row counts past the parallel grain. */
    private static final int[][] SHAPES = {{1, 1}, {7, 13}, {13, 1031}, {97, 1031}, {100_003, 1}, {3, 100_003},
            {20_000, 7}, {1031, 64}};

    @Test
    void sumAndSumSquares() {
        for (int n : SIZES) {
            MemorySegment x = random(n, 11, -1, 1);
            double sum = 0, sq = 0, abs = 0;
            for (double v : toDoubles(x, n)) {
                sum += v;
                sq += v * v;
                abs += Math.abs(v);
            }
            assertEquals(sum, CpuReduce.sum(n, x), 1e-12 * abs);
            assertEquals(sq, CpuReduce.sumSquares(n, x), 1e-12 * sq);
        }
        assertEquals(0, CpuReduce.sum(0, floats(1)));
    }

    /** 1e7 values in [0, 1): a float accumulator would stall near 2^24 and be off by percents. */
    @Test
    void sumOfTenMillionMatchesDouble() {
        int n = 10_000_000;
        MemorySegment x = random(n, 12, 0, 1);
        double expected = 0;
        for (long i = 0; i < n; i++) expected += x.getAtIndex(JAVA_FLOAT, i);
        assertEquals(expected, CpuReduce.sum(n, x), 1e-9 * expected);
    }

    @Test
    void max() {
        for (int n : SIZES) {
            // All negative, so a kernel that starts from 0 instead of -infinity fails.
            MemorySegment x = random(n, 13, -5, -1);
            double expected = Double.NEGATIVE_INFINITY;
            for (double v : toDoubles(x, n)) expected = Math.max(expected, v);
            assertEquals((float) expected, CpuReduce.max(n, x));
        }
        assertEquals(Float.NEGATIVE_INFINITY, CpuReduce.max(0, floats(1)));
        MemorySegment withNaN = random(1031, 14, -1, 1);
        withNaN.setAtIndex(JAVA_FLOAT, 517, Float.NaN);
        assertTrue(Float.isNaN(CpuReduce.max(1031, withNaN)));
    }

    @Test
    void sumRowsGivesColumnSums() {
        for (int[] rc : SHAPES) {
            int rows = rc[0], C = rc[1];
            MemorySegment x = random((long) rows * C, 15, -1, 1);
            double[] d = toDoubles(x, rows * C), expected = new double[C];
            for (int r = 0; r < rows; r++) for (int j = 0; j < C; j++) expected[j] += d[r * C + j];
            MemorySegment out = random(C, 16, 5, 6); // overwritten, not accumulated into
            CpuReduce.sumRows(rows, C, x, out);
            // Float sums of up to 1e5 values of size 1: allow 1e-5 of the row count.
            assertClose(expected, out, 1e-5, 1e-5 * Math.sqrt(rows));
        }
    }

    @Test
    void rowSumAndRowMax() {
        for (int[] rc : SHAPES) {
            int rows = rc[0], C = rc[1];
            MemorySegment x = random((long) rows * C, 17, -3, -1);
            double[] d = toDoubles(x, rows * C), sums = new double[rows], maxes = new double[rows];
            for (int r = 0; r < rows; r++) {
                maxes[r] = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < C; j++) {
                    sums[r] += d[r * C + j];
                    maxes[r] = Math.max(maxes[r], d[r * C + j]);
                }
            }
            MemorySegment out = floats(rows);
            CpuReduce.rowSum(rows, C, x, out);
            assertClose(sums, out, 1e-5, 1e-6);
            CpuReduce.rowMax(rows, C, x, out);
            assertClose(maxes, out, 0, 0);
        }
    }
}
