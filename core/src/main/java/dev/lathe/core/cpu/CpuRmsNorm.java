package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;

import static dev.lathe.core.cpu.CpuVec.BLOCK;
import static dev.lathe.core.cpu.CpuVec.F;
import static dev.lathe.core.cpu.CpuVec.FLOAT;
import static dev.lathe.core.cpu.CpuVec.L;
import static dev.lathe.core.cpu.CpuVec.ORDER;
import static dev.lathe.core.cpu.CpuVec.S;

/**
 * RMS normalisation over the last axis (Llama/Qwen semantics: no mean subtraction, no bias).
 *
 * <pre>
 * x, out, dout, dx : [rows, C]     weight, dweight : [C]     rstd : [rows]
 * out = x * rstd * weight,   rstd = 1 / sqrt(mean_c(x^2) + eps)
 * </pre>
 */
public final class CpuRmsNorm {
    private CpuRmsNorm() {}

    /** Writes out and rstd. */
    public static void forward(int rows, int C, float eps, MemorySegment x, MemorySegment weight,
                               MemorySegment out, MemorySegment rstd) {
        CpuParallel.forRange(rows, CpuVec.rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) forwardRow(r, C, eps, x, weight, out, rstd);
        });
    }

    private static void forwardRow(int r, int C, float eps, MemorySegment x, MemorySegment weight,
                                   MemorySegment out, MemorySegment rstd) {
        long row = (long) r * C * F;
        double ss = CpuRowStats.dot(x, x, row, C);
        int bound = S.loopBound(C);
        float rs = (float) (1.0 / Math.sqrt(ss / C + eps));
        rstd.set(FLOAT, r * F, rs);

        FloatVector rv = FloatVector.broadcast(S, rs);
        for (int c = 0; c < bound; c += L) {
            long o = c * F;
            FloatVector.fromMemorySegment(S, x, row + o, ORDER).mul(rv)
                    .mul(FloatVector.fromMemorySegment(S, weight, o, ORDER))
                    .intoMemorySegment(out, row + o, ORDER);
        }
        for (int c = bound; c < C; c++) {
            long o = c * F;
            out.set(FLOAT, row + o, x.get(FLOAT, row + o) * rs * weight.get(FLOAT, o));
        }
    }

    /**
     * Writes dx and dweight from the forward's saved rstd.
     *
     * <pre>
     * g = dout * weight,  xhat = x * rstd
     * dx = rstd * (g - xhat * mean_c(g * xhat)),   dweight = sum_rows(dout * xhat)
     * </pre>
     */
    public static void backward(int rows, int C, MemorySegment dout, MemorySegment x, MemorySegment weight,
                                MemorySegment rstd, MemorySegment dx, MemorySegment dweight) {
        ColumnPartials.run(rows, C, CpuVec.rowGrain(C), new MemorySegment[] {dweight}, (r0, r1, sums) -> {
            for (int r = r0; r < r1; r++) backwardRow(r, C, dout, x, weight, rstd, dx, sums[0]);
        });
    }

    private static void backwardRow(int r, int C, MemorySegment dout, MemorySegment x, MemorySegment weight,
                                    MemorySegment rstd, MemorySegment dx, MemorySegment dw) {
        long row = (long) r * C * F;
        float rs = rstd.get(FLOAT, r * F);
        FloatVector rv = FloatVector.broadcast(S, rs);
        // Sweep 1: sum(g * xhat), with this slice's dweight accumulated on the way.
        double sumGX = 0;
        int bound = S.loopBound(C);
        for (int c0 = 0; c0 < bound; c0 += BLOCK) {
            int end = Math.min(bound, c0 + BLOCK);
            FloatVector a = FloatVector.zero(S);
            for (int c = c0; c < end; c += L) {
                long o = c * F;
                FloatVector d = FloatVector.fromMemorySegment(S, dout, row + o, ORDER);
                FloatVector xh = FloatVector.fromMemorySegment(S, x, row + o, ORDER).mul(rv);
                a = d.mul(FloatVector.fromMemorySegment(S, weight, o, ORDER)).fma(xh, a);
                d.fma(xh, FloatVector.fromMemorySegment(S, dw, o, ORDER)).intoMemorySegment(dw, o, ORDER);
            }
            sumGX += VectorMath.sum(a);
        }
        for (int c = bound; c < C; c++) {
            long o = c * F;
            float d = dout.get(FLOAT, row + o);
            float xh = x.get(FLOAT, row + o) * rs;
            sumGX += (double) (d * weight.get(FLOAT, o)) * xh;
            dw.set(FLOAT, o, dw.get(FLOAT, o) + d * xh);
        }
        // Sweep 2: dx = rstd * (g - xhat * meanGX).
        float meanGX = (float) (sumGX / C);
        FloatVector mgx = FloatVector.broadcast(S, meanGX);
        for (int c = 0; c < bound; c += L) {
            long o = c * F;
            FloatVector xh = FloatVector.fromMemorySegment(S, x, row + o, ORDER).mul(rv);
            FloatVector.fromMemorySegment(S, dout, row + o, ORDER)
                    .mul(FloatVector.fromMemorySegment(S, weight, o, ORDER))
                    .sub(xh.mul(mgx)).mul(rv).intoMemorySegment(dx, row + o, ORDER);
        }
        for (int c = bound; c < C; c++) {
            long o = c * F;
            float xh = x.get(FLOAT, row + o) * rs;
            dx.set(FLOAT, row + o, (dout.get(FLOAT, row + o) * weight.get(FLOAT, o) - xh * meanGX) * rs);
        }
    }
}
