package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.lathe.core.cpu.SegmentTestUtil.assertClose;
import static dev.lathe.core.cpu.SegmentTestUtil.dot;
import static dev.lathe.core.cpu.SegmentTestUtil.doubles;
import static dev.lathe.core.cpu.SegmentTestUtil.floats;
import static dev.lathe.core.cpu.SegmentTestUtil.gaussian;
import static dev.lathe.core.cpu.SegmentTestUtil.numericGrad;
import static dev.lathe.core.cpu.SegmentTestUtil.row;

class CpuRmsNormTest {
    private static final float EPS = 1e-6f;
    /** Small step: with C = 1, out = w x / sqrt(x^2 + eps) bends on the scale of |x|, which can be ~1e-2. */
    private static final double H = 1e-4;

    @ParameterizedTest(name = "rows={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void forwardMatchesFloat64(int rows, int C) {
        Random rnd = new Random(31L * rows + C);
        double[] x = gaussian(rnd, rows * C, 0.5, 2), weight = gaussian(rnd, C, 1, 0.5);
        MemorySegment out = floats(rows * C), rstd = floats(rows);
        CpuRmsNorm.forward(rows, C, EPS, floats(x), floats(weight), out, rstd);
        double[] eOut = new double[rows * C], eRstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            eRstd[r] = rstd(row(x, r, C));
            System.arraycopy(forwardRow(row(x, r, C), weight), 0, eOut, r * C, C);
        }
        assertClose(eRstd, rstd, 1e-5, 0, "rstd");
        assertClose(eOut, out, 1e-5, 1e-6, "out");
    }

    @ParameterizedTest(name = "rows={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void backwardMatchesFiniteDifferences(int rows, int C) {
        Random rnd = new Random(17L * rows + C);
        double[] x = gaussian(rnd, rows * C, 0.5, 2), weight = gaussian(rnd, C, 1, 0.5);
        double[] G = gaussian(rnd, rows * C, 0, 1);
        MemorySegment xs = floats(x), ws = floats(weight), rstd = floats(rows);
        CpuRmsNorm.forward(rows, C, EPS, xs, ws, floats(rows * C), rstd);
        MemorySegment dx = floats(rows * C), dweight = floats(C);
        CpuRmsNorm.backward(rows, C, floats(G), xs, ws, rstd, dx, dweight);

        double[] eDx = new double[rows * C];
        for (int r = 0; r < rows; r++) {
            double[] gr = row(G, r, C);
            double[] g = numericGrad(row(x, r, C), p -> dot(forwardRow(p, weight), gr), H);
            System.arraycopy(g, 0, eDx, r * C, C);
        }
        double[] eDweight = numericGrad(weight.clone(), p -> loss(rows, C, x, p, G), H);
        assertClose(eDx, dx, 1e-3, 1e-4, "dx");
        assertClose(eDweight, dweight, 1e-3, 1e-4, "dweight");
    }

    /** 200 rows of 1031 split into one partial per thread: the reduced dweight equals the per-row sums. */
    @Test
    void backwardPartialsReduceToRowSums() {
        Random rnd = new Random(3);
        int rows = 200, C = 1031;
        MemorySegment x = floats(gaussian(rnd, rows * C, 0, 1)), weight = floats(gaussian(rnd, C, 1, 0.5));
        MemorySegment dout = floats(gaussian(rnd, rows * C, 0, 1)), rstd = floats(rows);
        CpuRmsNorm.forward(rows, C, EPS, x, weight, floats(rows * C), rstd);
        MemorySegment dx = floats(rows * C), dweight = floats(C);
        CpuRmsNorm.backward(rows, C, dout, x, weight, rstd, dx, dweight);

        double[] sum = new double[C];
        MemorySegment dxRow = floats(C), dwRow = floats(C);
        long rowBytes = (long) C * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            CpuRmsNorm.backward(1, C, dout.asSlice(r * rowBytes, rowBytes), x.asSlice(r * rowBytes, rowBytes), weight,
                    rstd.asSlice(r * 4L, 4), dxRow, dwRow);
            assertClose(doubles(dxRow, C), dx.asSlice(r * rowBytes, rowBytes), 1e-6, 1e-7, "dx row " + r);
            double[] dw = doubles(dwRow, C);
            for (int c = 0; c < C; c++) sum[c] += dw[c];
        }
        assertClose(sum, dweight, 1e-5, 1e-5, "dweight");
    }

    private static double rstd(double[] xr) {
        double s = 0;
        for (double v : xr) s += v * v;
        return 1 / Math.sqrt(s / xr.length + EPS);
    }

    /** The float64 reference for one row. */
    private static double[] forwardRow(double[] xr, double[] weight) {
        double rs = rstd(xr);
        double[] out = new double[xr.length];
        for (int c = 0; c < xr.length; c++) out[c] = xr[c] * rs * weight[c];
        return out;
    }

    /** L = sum(out * G) over all rows. */
    private static double loss(int rows, int C, double[] x, double[] weight, double[] G) {
        double l = 0;
        for (int r = 0; r < rows; r++) l += dot(forwardRow(row(x, r, C), weight), row(G, r, C));
        return l;
    }
}
