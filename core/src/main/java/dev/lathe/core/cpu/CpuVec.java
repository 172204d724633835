package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Constants shared by the row kernels: the vector species, the float32 layout, the block size of the blocked
 * float64 row sums, and the grain heuristic that keeps small inputs on the calling thread.
 */
final class CpuVec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final long F = Float.BYTES;
    /** Scalar accessors for the tails; unaligned so any element-aligned view works. */
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /**
     * Row sums accumulate in float vector lanes for at most BLOCK elements, then the lanes are reduced into a
     * double. Each lane sees at most BLOCK / L / 2 adds in float (2 accumulators), so the float error stays near
     * 1e-6 relative, and the float64 carry keeps rows of 50257 elements accurate.
     */
    static final int BLOCK = 1024;

    /** Roughly the number of float elements a task should touch before a hand-off to the pool pays. */
    private static final int MIN_TASK_ELEMS = 32 * 1024;

    private CpuVec() {}

    /** Rows per task for rows of {@code width} elements. */
    static int rowGrain(int width) {
        return Math.max(1, MIN_TASK_ELEMS / Math.max(1, width));
    }

    /** Sets n floats starting at element 0 of seg to zero. */
    static void zero(MemorySegment seg, long n) {
        seg.asSlice(0, n * F).fill((byte) 0);
    }
}
