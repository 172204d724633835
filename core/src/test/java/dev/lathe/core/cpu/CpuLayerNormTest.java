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

class CpuLayerNormTest {
    private static final float EPS = 1e-5f;
    private static final double H = 1e-3;

    @ParameterizedTest(name = "rows={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void forwardMatchesFloat64(int rows, int C) {
        Random rnd = new Random(31L * rows + C);
        double[] x = gaussian(rnd, rows * C, 3, 2), gamma = gaussian(rnd, C, 1, 0.5), beta = gaussian(rnd, C, 0, 1);
        checkForward(rows, C, x, gamma, beta, 1e-5);
        checkForward(rows, C, x, gamma, null, 1e-5);
    }

    /** |mean| / std = 1000: the one-sweep variance must not cancel. out's atol allows for mean stored as float. */
    @Test
    void forwardLargeMeanSmallSpread() {
        Random rnd = new Random(7);
        int rows = 3, C = 1031;
        checkForward(rows, C, gaussian(rnd, rows * C, 100, 0.1), gaussian(rnd, C, 1, 0.5), gaussian(rnd, C, 0, 1), 2e-4);
    }

    private static void checkForward(int rows, int C, double[] x, double[] gamma, double[] beta, double outAtol) {
        MemorySegment out = floats(rows * C), mean = floats(rows), rstd = floats(rows);
        CpuLayerNorm.forward(rows, C, EPS, floats(x), floats(gamma), beta == null ? null : floats(beta), out, mean, rstd);
        double[] eOut = new double[rows * C], eMean = new double[rows], eRstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double[] xr = row(x, r, C);
            eMean[r] = mean(xr);
            eRstd[r] = rstd(xr);
            System.arraycopy(forwardRow(xr, gamma, beta), 0, eOut, r * C, C);
        }
        assertClose(eMean, mean, 1e-6, 1e-6, "mean");
        assertClose(eRstd, rstd, 1e-5, 0, "rstd");
        assertClose(eOut, out, 1e-5, outAtol, "out");
    }

    @ParameterizedTest(name = "rows={0} C={1}")
    @MethodSource("dev.lathe.core.cpu.SegmentTestUtil#sizes")
    void backwardMatchesFiniteDifferences(int rows, int C) {
        Random rnd = new Random(17L * rows + C);
        double[] x = gaussian(rnd, rows * C, 1, 2), gamma = gaussian(rnd, C, 1, 0.5), beta = gaussian(rnd, C, 0, 1);
        double[] G = gaussian(rnd, rows * C, 0, 1);
        MemorySegment xs = floats(x), gs = floats(gamma), mean = floats(rows), rstd = floats(rows);
        CpuLayerNorm.forward(rows, C, EPS, xs, gs, floats(beta), floats(rows * C), mean, rstd);
        MemorySegment dx = floats(rows * C), dgamma = floats(C), dbeta = floats(C);
        CpuLayerNorm.backward(rows, C, floats(G), xs, gs, mean, rstd, dx, dgamma, dbeta);

        double[] eDx = new double[rows * C];
        for (int r = 0; r < rows; r++) {
            double[] gr = row(G, r, C);
            double[] g = numericGrad(row(x, r, C), p -> dot(forwardRow(p, gamma, beta), gr), H);
            System.arraycopy(g, 0, eDx, r * C, C);
        }
        double[] eDgamma = numericGrad(gamma.clone(), p -> loss(rows, C, x, p, beta, G), H);
        double[] eDbeta = numericGrad(beta.clone(), p -> loss(rows, C, x, gamma, p, G), H);
        assertClose(eDx, dx, 1e-3, 1e-4, "dx");
        assertClose(eDgamma, dgamma, 1e-3, 1e-4, "dgamma");
        assertClose(eDbeta, dbeta, 1e-3, 1e-4, "dbeta");

        // Without dbeta the other gradients are unchanged.
        MemorySegment dx2 = floats(rows * C), dgamma2 = floats(C);
        CpuLayerNorm.backward(rows, C, floats(G), xs, gs, mean, rstd, dx2, dgamma2, null);
        assertClose(doubles(dx, rows * C), dx2, 1e-6, 1e-7, "dx without dbeta");
        assertClose(doubles(dgamma, C), dgamma2, 1e-6, 1e-7, "dgamma without dbeta");
    }

    /** 200 rows of 1031 split into one partial per thread: the reduced dgamma/dbeta equal the per-row sums. */
    @Test
    void backwardPartialsReduceToRowSums() {
        Random rnd = new Random(3);
        int rows = 200, C = 1031;
        MemorySegment x = floats(gaussian(rnd, rows * C, 0, 1)), gamma = floats(gaussian(rnd, C, 1, 0.5));
        MemorySegment dout = floats(gaussian(rnd, rows * C, 0, 1)), mean = floats(rows), rstd = floats(rows);
        CpuLayerNorm.forward(rows, C, EPS, x, gamma, null, floats(rows * C), mean, rstd);
        MemorySegment dx = floats(rows * C), dgamma = floats(C), dbeta = floats(C);
        CpuLayerNorm.backward(rows, C, dout, x, gamma, mean, rstd, dx, dgamma, dbeta);

        double[] sumDgamma = new double[C], sumDbeta = new double[C];
        MemorySegment dxRow = floats(C), dgRow = floats(C), dbRow = floats(C);
        long rowBytes = (long) C * Float.BYTES;
        for (int r = 0; r < rows; r++) {
            CpuLayerNorm.backward(1, C, dout.asSlice(r * rowBytes, rowBytes), x.asSlice(r * rowBytes, rowBytes), gamma,
                    mean.asSlice(r * 4L, 4), rstd.asSlice(r * 4L, 4), dxRow, dgRow, dbRow);
            assertClose(doubles(dxRow, C), dx.asSlice(r * rowBytes, rowBytes), 1e-6, 1e-7, "dx row " + r);
            double[] dg = doubles(dgRow, C), db = doubles(dbRow, C);
            for (int c = 0; c < C; c++) {
                sumDgamma[c] += dg[c];
                sumDbeta[c] += db[c];
            }
        }
        assertClose(sumDgamma, dgamma, 1e-5, 1e-5, "dgamma");
        assertClose(sumDbeta, dbeta, 1e-5, 1e-5, "dbeta");
    }

    private static double mean(double[] xr) {
        double s = 0;
        for (double v : xr) s += v;
        return s / xr.length;
    }

    private static double rstd(double[] xr) {
        double m = mean(xr), s = 0;
        for (double v : xr) s += (v - m) * (v - m);
        return 1 / Math.sqrt(s / xr.length + EPS);
    }

    /** The float64 reference for one row; beta may be null. */
    private static double[] forwardRow(double[] xr, double[] gamma, double[] beta) {
        double m = mean(xr), rs = rstd(xr);
        double[] out = new double[xr.length];
        for (int c = 0; c < xr.length; c++) out[c] = (xr[c] - m) * rs * gamma[c] + (beta == null ? 0 : beta[c]);
        return out;
    }

    /** L = sum(out * G) over all rows. */
    private static double loss(int rows, int C, double[] x, double[] gamma, double[] beta, double[] G) {
        double l = 0;
        for (int r = 0; r < rows; r++) l += dot(forwardRow(row(x, r, C), gamma, beta), row(G, r, C));
        return l;
    }
}
