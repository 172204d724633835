package dev.lathe.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** CpuGemm against a float64 triple loop, tolerance relative to sum_p |op(A)(i,p)| |op(B)(p,j)|. */
class CpuGemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int[] SIZES = {1, 3, 7, 17, 33, 129, 257};

    /** A stored matrix: rows x cols with leading dimension ld, from element 0 of seg. */
    private record Mat(MemorySegment seg, int rows, int cols, int ld) {
        float get(int r, int c) {
            return seg.getAtIndex(F, (long) r * ld + c);
        }
    }

    private static Mat random(Arena arena, SplittableRandom rnd, int rows, int cols, int ld) {
        long elems = Math.max(1, (long) Math.max(0, rows - 1) * ld + cols);
        // Start one float in so the operand is not vector aligned, as a sliced view would be.
        MemorySegment seg = arena.allocate((elems + 1) * Float.BYTES, 64).asSlice(Float.BYTES);
        for (long i = 0; i < elems; i++) seg.setAtIndex(F, i, (float) (rnd.nextDouble() * 2 - 1));
        return new Mat(seg, rows, cols, ld);
    }

    private static float opA(Mat a, boolean t, int i, int p) {
        return t ? a.get(p, i) : a.get(i, p);
    }

    private static float opB(Mat b, boolean t, int p, int j) {
        return t ? b.get(j, p) : b.get(p, j);
    }

    /** Runs sgemm on fresh random operands (ld padded by pad) and checks every element of C. */
    private static void check(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int pad,
                              long seed) {
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(seed);
            Mat a = ta ? random(arena, rnd, k, m, m + pad) : random(arena, rnd, m, k, k + pad);
            Mat b = tb ? random(arena, rnd, n, k, k + pad) : random(arena, rnd, k, n, n + pad);
            Mat c = random(arena, rnd, m, n, n + pad);
            if (beta == 0f) poison(c);
            float[] c0 = snapshot(c);
            CpuGemm.sgemm(ta, tb, m, n, k, alpha, a.seg(), a.ld(), b.seg(), b.ld(), beta, c.seg(), c.ld());
            verify(ta, tb, k, alpha, beta, a, b, c0, c);
        }
    }

    private static void poison(Mat c) {
        for (int i = 0; i < c.rows(); i++) {
            for (int j = 0; j < c.cols(); j++) c.seg().setAtIndex(F, (long) i * c.ld() + j, Float.NaN);
        }
    }

    private static float[] snapshot(Mat c) {
        float[] out = new float[c.rows() * c.cols()];
        for (int i = 0; i < c.rows(); i++) {
            for (int j = 0; j < c.cols(); j++) out[i * c.cols() + j] = c.get(i, j);
        }
        return out;
    }

    /** C (was c0) must equal alpha * op(A) @ op(B) + beta * c0 in float64, within 1e-5 of the magnitudes. */
    private static void verify(boolean ta, boolean tb, int k, float alpha, float beta, Mat a, Mat b, float[] c0,
                               Mat c) {
        int m = c.rows(), n = c.cols();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double dot = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = opA(a, ta, i, p), y = opB(b, tb, p, j);
                    dot += x * y;
                    mag += Math.abs(x * y);
                }
                double old = beta == 0f ? 0 : beta * c0[i * n + j]; // beta == 0: C's NaN must not leak
                double want = alpha * dot + old;
                double tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(old)) + 1e-30;
                double got = c.get(i, j);
                if (!(Math.abs(got - want) <= tol)) {
                    fail("ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " C[" + i + "," + j + "] = "
                            + got + ", want " + want + " +- " + tol);
                }
            }
        }
    }

    static Stream<Arguments> transposes() {
        return Stream.of(Arguments.of(false, false), Arguments.of(false, true),
                Arguments.of(true, false), Arguments.of(true, true));
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void oddSizes(boolean ta, boolean tb) {
        long seed = 1;
        for (int m : SIZES) {
            for (int n : SIZES) {
                for (int k : SIZES) {
                    // Cycle alpha/beta/padding over the grid rather than multiplying the case count.
                    float beta = new float[] {0f, 1f, 0.5f}[(int) (seed % 3)];
                    check(ta, tb, m, n, k, 1.5f, beta, (int) (seed % 4) * 3, seed++);
                }
            }
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void largeMultiBlock(boolean ta, boolean tb) {
        // Threaded, crossing MC and NR edges; then two K blocks (the second accumulates onto beta * C).
        for (float beta : new float[] {0f, 1f, 0.5f}) check(ta, tb, 300, 517, 129, -0.75f, beta, 5, 7);
        check(ta, tb, 161, 1100, CpuGemm.KC + 129, 1f, 0.5f, 3, 11);
        check(ta, tb, 700, 40, 520, 2f, 0f, 1, 13); // tall C: split over rows
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void threadedPanelsCrossSharedLimits(boolean ta, boolean tb) {
        // Wide: op(A) is shared in panels of SHARED_ROWS rows; tall: op(B) in panels of NC columns.
        check(ta, tb, CpuGemm.SHARED_ROWS + 37, CpuGemm.SHARED_ROWS + 101, 20, 1f, 0.5f, 2, 19);
        check(ta, tb, CpuGemm.NC + 300, CpuGemm.NC + 29, 24, -1f, 0f, 0, 23);
    }

    @ParameterizedTest(name = "m={0} n={1}")
    @MethodSource("threadedShapes")
    void threadedProductMatchesOneThreadBitwise(int m, int n) {
        // sgemm splits the product over threads; sgemmBatched with one product a thread runs each whole on one
        // thread (the single-thread blocking). Every element must come out bit for bit the same.
        int k = CpuGemm.KC + 100, batch = Math.max(2, CpuParallel.threads());
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(29);
            Mat a = random(arena, rnd, m, k, k), b = random(arena, rnd, n, k, k);
            MemorySegment threaded = arena.allocate((long) m * n * Float.BYTES);
            MemorySegment single = arena.allocate((long) batch * m * n * Float.BYTES);
            CpuGemm.sgemm(false, true, m, n, k, 1f, a.seg(), k, b.seg(), k, 0f, threaded, n);
            CpuGemm.sgemmBatched(false, true, m, n, k, 1f, a.seg(), k, 0, b.seg(), k, 0, 0f, single, n,
                    (long) m * n, batch);
            for (long i = 0; i < (long) m * n; i++) {
                for (int t = 0; t < batch; t++) {
                    float want = single.getAtIndex(F, t * (long) m * n + i), got = threaded.getAtIndex(F, i);
                    if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                        fail("element " + i + ": threaded " + got + ", one thread (product " + t + ") " + want);
                    }
                }
            }
        }
    }

    static Stream<Arguments> threadedShapes() {
        return Stream.of(Arguments.of(101, 700), Arguments.of(700, 101));
    }

    @Test
    void kZeroScalesC() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment c = arena.allocate(6L * Float.BYTES);
            for (int i = 0; i < 6; i++) c.setAtIndex(F, i, i + 1);
            MemorySegment empty = arena.allocate(Float.BYTES);
            CpuGemm.sgemm(false, false, 2, 3, 0, 1f, empty, 0, empty, 3, 0.5f, c, 3);
            for (int i = 0; i < 6; i++) assertEquals((i + 1) * 0.5f, c.getAtIndex(F, i));
            for (int i = 0; i < 6; i++) c.setAtIndex(F, i, Float.NaN);
            CpuGemm.sgemm(true, true, 2, 3, 0, 1f, empty, 2, empty, 0, 0f, c, 3);
            for (int i = 0; i < 6; i++) assertEquals(0f, c.getAtIndex(F, i));
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void batchedWithBroadcast(boolean ta, boolean tb) {
        // Padded ld, strides with a gap between matrices, one B broadcast to every product (stride 0).
        int m = 19, n = 23, k = 37, batch = 3, pad = 2;
        int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        long sa = (long) (ta ? k : m) * lda + 1, sc = (long) m * ldc + 3;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(3);
            MemorySegment a = random(arena, rnd, 1, (int) (sa * batch), 0).seg();
            Mat b = tb ? random(arena, rnd, n, k, ldb) : random(arena, rnd, k, n, ldb);
            MemorySegment c = random(arena, rnd, 1, (int) (sc * batch), 0).seg();
            Mat[] as = new Mat[batch], cs = new Mat[batch];
            float[][] c0 = new float[batch][];
            for (int i = 0; i < batch; i++) {
                as[i] = new Mat(a.asSlice(i * sa * Float.BYTES), ta ? k : m, ta ? m : k, lda);
                cs[i] = new Mat(c.asSlice(i * sc * Float.BYTES), m, n, ldc);
                c0[i] = snapshot(cs[i]);
            }
            CpuGemm.sgemmBatched(ta, tb, m, n, k, 0.5f, a, lda, sa, b.seg(), ldb, 0, 0.5f, c, ldc, sc, batch);
            for (int i = 0; i < batch; i++) verify(ta, tb, k, 0.5f, 0.5f, as[i], b, c0[i], cs[i]);
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @MethodSource("transposes")
    void batchedProductsCrossNcPanels(boolean ta, boolean tb) {
        // batch >= threads runs each product on one thread, so n > CpuGemm.NC walks several B panels in one task.
        int m = 5, n = CpuGemm.NC + 53, k = CpuGemm.KC + 44, batch = Math.max(2, CpuParallel.threads());
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(17);
            Mat a = ta ? random(arena, rnd, k, m, m) : random(arena, rnd, m, k, k); // broadcast: stride 0
            Mat b = tb ? random(arena, rnd, n, k, k) : random(arena, rnd, k, n, n);
            Mat c = random(arena, rnd, m * batch, n, n);
            poison(c);
            CpuGemm.sgemmBatched(ta, tb, m, n, k, 1.25f, a.seg(), a.ld(), 0, b.seg(), b.ld(), 0,
                    0f, c.seg(), n, (long) m * n, batch);
            for (int i = 0; i < batch; i++) {
                Mat ci = new Mat(c.seg().asSlice((long) i * m * n * Float.BYTES), m, n, n);
                verify(ta, tb, k, 1.25f, 0f, a, b, new float[m * n], ci);
            }
        }
    }

    @Test
    void batchedManyProductsRunsPerThread() {
        int m = 8, n = 9, k = 10, batch = 16;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(5);
            Mat a = random(arena, rnd, 1, m * k, 0); // broadcast A
            Mat b = random(arena, rnd, 1, batch * k * n, 0);
            MemorySegment c = arena.allocate((long) batch * m * n * Float.BYTES);
            CpuGemm.sgemmBatched(false, false, m, n, k, 1f, a.seg(), k, 0, b.seg(), n, (long) k * n,
                    0f, c, n, (long) m * n, batch);
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double want = 0, mag = 0;
                        for (int p = 0; p < k; p++) {
                            double x = a.seg().getAtIndex(F, (long) i * k + p)
                                    * b.seg().getAtIndex(F, (long) t * k * n + (long) p * n + j);
                            want += x;
                            mag += Math.abs(x);
                        }
                        float got = c.getAtIndex(F, (long) t * m * n + (long) i * n + j);
                        assertTrue(Math.abs(got - want) <= 1e-5 * mag, "batch " + t + " C[" + i + "," + j + "]");
                    }
                }
            }
        }
    }
}
