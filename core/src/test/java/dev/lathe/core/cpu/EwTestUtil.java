package dev.lathe.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helpers for the element-wise CPU kernels: float32 segments from the automatic arena (readable by pool
 * threads, freed by the GC) filled with seeded random values, conversions to double[], closeness checks.
 */
final class EwTestUtil {
    /** Odd sizes: one element, under a vector, a vector plus tail, many vectors plus tail, past the parallel grain. */
    static final int[] SIZES = {1, 7, 13, 1031, 100_003};

    private EwTestUtil() {}

    static MemorySegment floats(long n) {
        return Arena.ofAuto().allocate(n * Float.BYTES, 64);
    }

    static MemorySegment of(float... values) {
        MemorySegment s = floats(values.length);
        for (int i = 0; i < values.length; i++) s.setAtIndex(JAVA_FLOAT, i, values[i]);
        return s;
    }

    /** n floats uniform in [lo, hi), the same for the same seed. */
    static MemorySegment random(long n, long seed, double lo, double hi) {
        MemorySegment s = floats(n);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(lo, hi));
        return s;
    }

    static double[] toDoubles(MemorySegment s, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = s.getAtIndex(JAVA_FLOAT, i);
        return d;
    }

    static MemorySegment copyOf(MemorySegment s, long n) {
        MemorySegment c = floats(n);
        MemorySegment.copy(s, 0, c, 0, n * Float.BYTES);
        return c;
    }

    /** Fails at the first i where |actual[i] - expected[i]| > atol + rtol·|expected[i]|, naming the index. */
    static void assertClose(double[] expected, MemorySegment actual, double rtol, double atol) {
        for (int i = 0; i < expected.length; i++) {
            double got = actual.getAtIndex(JAVA_FLOAT, i);
            if (!(Math.abs(got - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
                fail("element " + i + " of " + expected.length + ": expected " + expected[i] + " but was " + got);
            }
        }
    }
}
