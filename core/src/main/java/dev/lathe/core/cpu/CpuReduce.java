package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Reductions of float32 buffers. Whole-buffer reductions reduce each {@link CpuRanges#BLOCK} into its own
 * partial and combine the partials in order, so results do not depend on the thread count. The reduction
 * outputs must not overlap the input.
 */
public final class CpuReduce {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Elements a parallel task should at least cover in the row-wise reductions. */
    private static final int GRAIN = CpuRanges.BLOCK * CpuRanges.GRAIN_BLOCKS;
    /** Most row blocks {@link #sumRows} splits into: bounds its scratch at 64 partial rows. */
    private static final int MAX_ROW_BLOCKS = 64;

    private CpuReduce() {}

    /** Σ x[i] over x [n], accumulated in float64 lanes (each float is exact in double), 0 for n == 0. */
    public static double sum(long n, MemorySegment x) {
        double total = 0;
        for (double p : perBlock(n, x, CpuReduce::blockSum)) total += p;
        return total;
    }

    /** Σ x[i]² over x [n], squared and accumulated in float64. */
    public static double sumSquares(long n, MemorySegment x) {
        double total = 0;
        for (double p : perBlock(n, x, CpuReduce::blockSumSquares)) total += p;
        return total;
    }

    /** max x[i] over x [n]: NaN if any element is NaN, -infinity for n == 0. */
    public static float max(long n, MemorySegment x) {
        float m = Float.NEGATIVE_INFINITY;
        for (double p : perBlock(n, x, CpuReduce::blockMax)) m = Math.max(m, (float) p);
        return m;
    }

    /** Reduction of the elements [from, to) of x to one value (a float result is exact in double). */
    @FunctionalInterface
    private interface BlockReducer {
        double reduce(MemorySegment x, long from, long to);
    }

    /** One partial per block of x [n], blocks computed in parallel, each written only by its own task. */
    private static double[] perBlock(long n, MemorySegment x, BlockReducer reducer) {
        int blocks = Math.toIntExact((n + CpuRanges.BLOCK - 1) / CpuRanges.BLOCK);
        double[] partial = new double[blocks];
        CpuParallel.forRange(blocks, CpuRanges.GRAIN_BLOCKS, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                long from = (long) b * CpuRanges.BLOCK;
                partial[b] = reducer.reduce(x, from, Math.min(n, from + CpuRanges.BLOCK));
            }
        });
        return partial;
    }

    private static double blockSum(MemorySegment x, long from, long to) {
        DoubleVector lo = DoubleVector.zero(DoubleVector.SPECIES_PREFERRED);
        DoubleVector hi = lo;
        long i = from;
        for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
            lo = lo.add(v.convert(VectorOperators.F2D, 0));
            hi = hi.add(v.convert(VectorOperators.F2D, 1));
        }
        double s = VectorMath.sum(lo.add(hi));
        for (; i < to; i++) s += x.getAtIndex(JAVA_FLOAT, i);
        return s;
    }

    private static double blockSumSquares(MemorySegment x, long from, long to) {
        DoubleVector lo = DoubleVector.zero(DoubleVector.SPECIES_PREFERRED);
        DoubleVector hi = lo;
        long i = from;
        for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
            DoubleVector dLo = (DoubleVector) v.convert(VectorOperators.F2D, 0);
            DoubleVector dHi = (DoubleVector) v.convert(VectorOperators.F2D, 1);
            lo = dLo.fma(dLo, lo);
            hi = dHi.fma(dHi, hi);
        }
        double s = VectorMath.sum(lo.add(hi));
        for (; i < to; i++) {
            double v = x.getAtIndex(JAVA_FLOAT, i);
            s += v * v;
        }
        return s;
    }

    private static double blockMax(MemorySegment x, long from, long to) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        long i = from;
        for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
            acc = acc.max(FloatVector.fromMemorySegment(F, x, i * 4, NATIVE));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < to; i++) m = Math.max(m, x.getAtIndex(JAVA_FLOAT, i));
        return m;
    }

    /**
     * Column sums, out[j] = Σ_r x[r, j]: x [rows, C], out [C] (bias gradients). Rows are split into at most
     * {@value #MAX_ROW_BLOCKS} blocks; each block sums into its own float[C] and the partials are added after.
     */
    public static void sumRows(int rows, int C, MemorySegment x, MemorySegment out) {
        if (C <= 0) return;
        int blockRows = Math.max(ceilDiv(GRAIN, C), ceilDiv(rows, MAX_ROW_BLOCKS));
        int blocks = ceilDiv(rows, blockRows);
        float[][] partial = new float[blocks][C];
        CpuParallel.forRange(blocks, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                addRows(x, C, b * blockRows, Math.min(rows, (b + 1) * blockRows), partial[b]);
            }
        });
        int j = 0;
        for (int end = C - C % LANES; j < end; j += LANES) {
            FloatVector acc = FloatVector.zero(F);
            for (float[] p : partial) acc = acc.add(FloatVector.fromArray(F, p, j));
            acc.intoMemorySegment(out, (long) j * 4, NATIVE);
        }
        for (; j < C; j++) {
            float s = 0;
            for (float[] p : partial) s += p[j];
            out.setAtIndex(JAVA_FLOAT, j, s);
        }
    }

    /** acc[j] += x[r, j] for rows r in [r0, r1): x [rows, C], acc [C]. */
    private static void addRows(MemorySegment x, int C, int r0, int r1, float[] acc) {
        for (int r = r0; r < r1; r++) {
            long row = (long) r * C;
            int j = 0;
            for (int end = C - C % LANES; j < end; j += LANES) {
                FloatVector.fromArray(F, acc, j)
                        .add(FloatVector.fromMemorySegment(F, x, (row + j) * 4, NATIVE))
                        .intoArray(acc, j);
            }
            for (; j < C; j++) acc[j] += x.getAtIndex(JAVA_FLOAT, row + j);
        }
    }

    /** Row sums, out[r] = Σ_j x[r, j]: x [rows, C], out [rows]; float lanes (each lane sums C / lanes values). */
    public static void rowSum(int rows, int C, MemorySegment x, MemorySegment out) {
        CpuParallel.forRange(rows, rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long row = (long) r * C;
                FloatVector acc = FloatVector.zero(F);
                int j = 0;
                for (int end = C - C % LANES; j < end; j += LANES) {
                    acc = acc.add(FloatVector.fromMemorySegment(F, x, (row + j) * 4, NATIVE));
                }
                float s = VectorMath.sum(acc);
                for (; j < C; j++) s += x.getAtIndex(JAVA_FLOAT, row + j);
                out.setAtIndex(JAVA_FLOAT, r, s);
            }
        });
    }

    /** Row maxima, out[r] = max_j x[r, j]: x [rows, C], out [rows]; NaN rows give NaN, C == 0 gives -infinity. */
    public static void rowMax(int rows, int C, MemorySegment x, MemorySegment out) {
        CpuParallel.forRange(rows, rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long row = (long) r * C;
                out.setAtIndex(JAVA_FLOAT, r, (float) blockMax(x, row, row + C));
            }
        });
    }

    private static int rowGrain(int C) {
        return Math.max(1, GRAIN / Math.max(1, C));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
