package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.lathe.core.cpu.SegmentTestUtil.assertClose;
import static dev.lathe.core.cpu.SegmentTestUtil.dot;
import static dev.lathe.core.cpu.SegmentTestUtil.floats;
import static dev.lathe.core.cpu.SegmentTestUtil.gaussian;
import static dev.lathe.core.cpu.SegmentTestUtil.numericGrad;
import static dev.lathe.core.cpu.SegmentTestUtil.row;

class CpuSoftmaxTest {
    private static final double H = 1e-4;

    @ParameterizedTest(name = "rows={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void forwardMatchesFloat64(int rows, int C) {
        Random rnd = new Random(31L * rows + C);
        checkForward(rows, C, gaussian(rnd, rows * C, 0, 3));
    }

    /** Logits near 1000 overflow exp unless shifted by the row max. */
    @Test
    void forwardIsMaxShifted() {
        Random rnd = new Random(5);
        checkForward(3, 129, gaussian(rnd, 3 * 129, 1000, 3));
    }

    private static void checkForward(int rows, int C, double[] x) {
        MemorySegment out = floats(rows * C);
        CpuSoftmax.forward(rows, C, floats(x), out);
        double[] expected = new double[rows * C];
        for (int r = 0; r < rows; r++) System.arraycopy(forwardRow(row(x, r, C)), 0, expected, r * C, C);
        assertClose(expected, out, 1e-5, 1e-9, "out");
    }

    @ParameterizedTest(name = "rows={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void backwardMatchesFiniteDifferences(int rows, int C) {
        Random rnd = new Random(17L * rows + C);
        double[] x = gaussian(rnd, rows * C, 0, 3), G = gaussian(rnd, rows * C, 0, 1);
        MemorySegment out = floats(rows * C), dx = floats(rows * C);
        CpuSoftmax.forward(rows, C, floats(x), out);
        CpuSoftmax.backward(rows, C, out, floats(G), dx);

        double[] expected = new double[rows * C];
        for (int r = 0; r < rows; r++) {
            double[] gr = row(G, r, C);
            double[] g = numericGrad(row(x, r, C), p -> dot(forwardRow(p), gr), H);
            System.arraycopy(g, 0, expected, r * C, C);
        }
        assertClose(expected, dx, 1e-3, 1e-6, "dx");
    }

    /** The float64 reference for one row. */
    private static double[] forwardRow(double[] xr) {
        double mx = Double.NEGATIVE_INFINITY, s = 0;
        for (double v : xr) mx = Math.max(mx, v);
        double[] out = new double[xr.length];
        for (int c = 0; c < xr.length; c++) s += out[c] = Math.exp(xr[c] - mx);
        for (int c = 0; c < xr.length; c++) out[c] /= s;
        return out;
    }
}
