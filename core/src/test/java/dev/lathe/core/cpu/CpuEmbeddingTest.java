package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.lathe.core.cpu.SegmentTestUtil.assertClose;
import static dev.lathe.core.cpu.SegmentTestUtil.doubles;
import static dev.lathe.core.cpu.SegmentTestUtil.floats;
import static dev.lathe.core.cpu.SegmentTestUtil.gaussian;
import static dev.lathe.core.cpu.SegmentTestUtil.ints;
import static dev.lathe.core.cpu.SegmentTestUtil.numericGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuEmbeddingTest {
    /** A small vocabulary, so 37 ids must repeat and a single id leaves most rows of dtable untouched. */
    private static final int V = 5;

    @ParameterizedTest(name = "N={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void forwardGathersRows(int N, int C) {
        Random rnd = new Random(31L * N + C);
        int[] ids = rnd.ints(N, 0, V).toArray();
        double[] table = gaussian(rnd, V * C, 0, 1);
        MemorySegment out = floats(N * C);
        CpuEmbedding.forward(N, C, V, ints(ids), floats(table), out);
        double[] expected = new double[N * C];
        for (int n = 0; n < N; n++) System.arraycopy(table, ids[n] * C, expected, n * C, C);
        assertArrayEquals(expected, doubles(out, N * C));
    }

    @ParameterizedTest(name = "N={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void backwardMatchesFiniteDifferences(int N, int C) {
        Random rnd = new Random(17L * N + C);
        checkBackward(N, C, rnd.ints(N, 0, V).toArray(), gaussian(rnd, N * C, 0, 1));
    }

    @Test
    void repeatedIdsAddUp() {
        checkBackward(4, 13, new int[] {3, 1, 3, 3}, gaussian(new Random(9), 4 * 13, 0, 1));
    }

    /** Enough rows that the columns split into one range per thread; checked against a plain float64 scatter. */
    @Test
    void backwardSplitOverColumnsMatchesScatter() {
        Random rnd = new Random(11);
        int N = 300, C = 257;
        int[] ids = rnd.ints(N, 0, V).toArray();
        double[] G = gaussian(rnd, N * C, 0, 1), expected = new double[V * C];
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) expected[ids[n] * C + c] += G[n * C + c];
        }
        MemorySegment dtable = floats(V * C);
        dtable.fill((byte) 0x7f); // garbage (NaN): overwritten
        CpuEmbedding.backward(N, C, V, ints(ids), floats(G), dtable, false);
        assertClose(expected, dtable, 1e-5, 1e-5, "dtable");
        // accumulate adds the same scatter onto what is there: twice the gradient.
        CpuEmbedding.backward(N, C, V, ints(ids), floats(G), dtable, true);
        for (int i = 0; i < expected.length; i++) expected[i] *= 2;
        assertClose(expected, dtable, 1e-5, 1e-5, "dtable accumulated");
    }

    private static void checkBackward(int N, int C, int[] ids, double[] G) {
        MemorySegment dtable = floats(V * C);
        CpuEmbedding.backward(N, C, V, ints(ids), floats(G), dtable, false);
        // L = sum(out * G) as a function of the table.
        double[] expected = numericGrad(new double[V * C], t -> {
            double l = 0;
            for (int n = 0; n < N; n++) {
                for (int c = 0; c < C; c++) l += t[ids[n] * C + c] * G[n * C + c];
            }
            return l;
        }, 1e-3);
        assertClose(expected, dtable, 1e-5, 1e-6, "dtable");
    }

    @Test
    void idOutsideVocabularyThrows() {
        int C = 7;
        MemorySegment table = floats(V * C), out = floats(3 * C);
        for (int bad : new int[] {V, -1}) {
            MemorySegment ids = ints(new int[] {0, bad, 1});
            String fwd = assertThrows(IllegalArgumentException.class,
                    () -> CpuEmbedding.forward(3, C, V, ids, table, out)).getMessage();
            String bwd = assertThrows(IllegalArgumentException.class,
                    () -> CpuEmbedding.backward(3, C, V, ids, out, table, false)).getMessage();
            for (String m : new String[] {fwd, bwd}) {
                assertTrue(m.contains("row 1") && m.contains("is " + bad), m);
            }
        }
    }
}
