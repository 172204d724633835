package dev.lathe.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

import static org.junit.jupiter.api.Assertions.fail;

/** Test helpers: float32/int32 segments from and to double[], random inputs, finite differences, tolerant compare. */
final class SegmentTestUtil {
    /** Auto arena: pool threads read these segments, and the GC frees them. */
    private static final Arena ARENA = Arena.ofAuto();

    private SegmentTestUtil() {}

    /** rows x C sizes shared by the row-kernel tests: odd sizes, vector tails, single rows and columns. */
    static Stream<Arguments> sizes() {
        return IntStream.of(1, 3, 37).boxed()
                .flatMap(r -> IntStream.of(1, 7, 13, 129, 1031).mapToObj(c -> Arguments.of(r, c)));
    }

    /** n floats, all NaN, so an output that is read before being overwritten shows up. */
    static MemorySegment floats(int n) {
        MemorySegment s = ARENA.allocate((long) n * Float.BYTES, 64);
        s.fill((byte) 0xFF);
        return s;
    }

    static MemorySegment floats(double[] v) {
        MemorySegment s = floats(v.length);
        for (int i = 0; i < v.length; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v[i]);
        return s;
    }

    static MemorySegment ints(int[] v) {
        MemorySegment s = ARENA.allocate((long) v.length * Integer.BYTES, 64);
        for (int i = 0; i < v.length; i++) s.setAtIndex(ValueLayout.JAVA_INT, i, v[i]);
        return s;
    }

    static double[] doubles(MemorySegment s, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return d;
    }

    /** n normal samples of the given mean and std, rounded to float so kernel and reference see the same inputs. */
    static double[] gaussian(Random rnd, int n, double mean, double std) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = (float) (mean + std * rnd.nextGaussian());
        return d;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Copies row r of a [rows, C] array. */
    static double[] row(double[] a, int r, int C) {
        double[] d = new double[C];
        System.arraycopy(a, r * C, d, 0, C);
        return d;
    }

    /** Central differences (f(p + h e_j) - f(p - h e_j)) / 2h for every j; p is restored. */
    static double[] numericGrad(double[] p, ToDoubleFunction<double[]> f, double h) {
        return numericGrad(p, f, h, IntStream.range(0, p.length).toArray());
    }

    /** Central differences at the listed indices only (result indexed like idx). */
    static double[] numericGrad(double[] p, ToDoubleFunction<double[]> f, double h, int[] idx) {
        double[] g = new double[idx.length];
        for (int k = 0; k < idx.length; k++) {
            int j = idx[k];
            double keep = p[j];
            p[j] = keep + h;
            double up = f.applyAsDouble(p);
            p[j] = keep - h;
            double down = f.applyAsDouble(p);
            p[j] = keep;
            g[k] = (up - down) / (2 * h);
        }
        return g;
    }

    /** Fails unless |actual - expected| <= atol + rtol * |expected| everywhere, naming the first bad index. */
    static void assertClose(double[] expected, double[] actual, double rtol, double atol, String what) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
                fail(what + "[" + i + "]: expected " + e + " but was " + a + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
    }

    static void assertClose(double[] expected, MemorySegment actual, double rtol, double atol, String what) {
        assertClose(expected, doubles(actual, expected.length), rtol, atol, what);
    }
}
