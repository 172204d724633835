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
 * Layer normalisation over the last axis (PyTorch semantics, biased variance).
 *
 * <pre>
 * x, out, dout, dx : [rows, C]     gamma, beta, dgamma, dbeta : [C]     mean, rstd : [rows]
 * out = (x - mean) * rstd * gamma + beta,   rstd = 1 / sqrt(var + eps)
 * </pre>
 */
public final class CpuLayerNorm {
    private CpuLayerNorm() {}

    /** Writes out, mean and rstd; beta may be null (no bias). */
    public static void forward(int rows, int C, float eps, MemorySegment x, MemorySegment gamma,
                               MemorySegment beta, MemorySegment out, MemorySegment mean, MemorySegment rstd) {
        CpuParallel.forRange(rows, CpuVec.rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) forwardRow(r, C, eps, x, gamma, beta, out, mean, rstd);
        });
    }

    private static void forwardRow(int r, int C, float eps, MemorySegment x, MemorySegment gamma,
                                   MemorySegment beta, MemorySegment out, MemorySegment mean, MemorySegment rstd) {
        long row = (long) r * C * F;
        // One sweep for both moments, shifted by k = x[0]: the sums of d = x - k and d^2 do not cancel
        // catastrophically when |mean| >> std, unlike E[x^2] - E[x]^2 on raw x.
        float k = x.get(FLOAT, row);
        FloatVector kv = FloatVector.broadcast(S, k);
        double s1 = 0, s2 = 0;
        int bound = S.loopBound(C);
        for (int c0 = 0; c0 < bound; c0 += BLOCK) {
            int end = Math.min(bound, c0 + BLOCK);
            FloatVector a1 = FloatVector.zero(S), a2 = a1, b1 = a1, b2 = a1;
            int c = c0;
            // Two vectors a step: four independent add/FMA chains instead of two hide the FP latency.
            for (; c + 2 * L <= end; c += 2 * L) {
                FloatVector d0 = FloatVector.fromMemorySegment(S, x, row + c * F, ORDER).sub(kv);
                FloatVector d1 = FloatVector.fromMemorySegment(S, x, row + (c + L) * F, ORDER).sub(kv);
                a1 = a1.add(d0);
                a2 = d0.fma(d0, a2);
                b1 = b1.add(d1);
                b2 = d1.fma(d1, b2);
            }
            for (; c < end; c += L) {
                FloatVector d0 = FloatVector.fromMemorySegment(S, x, row + c * F, ORDER).sub(kv);
                a1 = a1.add(d0);
                a2 = d0.fma(d0, a2);
            }
            s1 += VectorMath.sum(a1.add(b1));
            s2 += VectorMath.sum(a2.add(b2));
        }
        for (int c = bound; c < C; c++) {
            double d = x.get(FLOAT, row + c * F) - k;
            s1 += d;
            s2 += d * d;
        }
        double dm = s1 / C;
        double var = Math.max(0.0, s2 / C - dm * dm);
        float m = (float) (k + dm);
        float rs = (float) (1.0 / Math.sqrt(var + eps));
        mean.set(FLOAT, r * F, m);
        rstd.set(FLOAT, r * F, rs);

        FloatVector mv = FloatVector.broadcast(S, m), rv = FloatVector.broadcast(S, rs);
        for (int c = 0; c < bound; c += L) {
            long o = c * F;
            FloatVector n = FloatVector.fromMemorySegment(S, x, row + o, ORDER).sub(mv).mul(rv);
            FloatVector g = FloatVector.fromMemorySegment(S, gamma, o, ORDER);
            FloatVector y = beta == null ? n.mul(g) : n.fma(g, FloatVector.fromMemorySegment(S, beta, o, ORDER));
            y.intoMemorySegment(out, row + o, ORDER);
        }
        for (int c = bound; c < C; c++) {
            long o = c * F;
            float y = (x.get(FLOAT, row + o) - m) * rs * gamma.get(FLOAT, o);
            if (beta != null) y += beta.get(FLOAT, o);
            out.set(FLOAT, row + o, y);
        }
    }

    /**
     * Writes dx, dgamma and (when non-null) dbeta from the forward's saved mean and rstd.
     *
     * <pre>
     * g = dout * gamma,  xhat = (x - mean) * rstd
     * dx = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat))
     * dgamma = sum_rows(dout * xhat),  dbeta = sum_rows(dout)
     * </pre>
     */
    public static void backward(int rows, int C, MemorySegment dout, MemorySegment x, MemorySegment gamma,
                                MemorySegment mean, MemorySegment rstd, MemorySegment dx, MemorySegment dgamma,
                                MemorySegment dbeta) {
        MemorySegment[] outs = dbeta == null ? new MemorySegment[] {dgamma} : new MemorySegment[] {dgamma, dbeta};
        ColumnPartials.run(rows, C, CpuVec.rowGrain(C), outs, (r0, r1, sums) -> {
            MemorySegment dg = sums[0], db = sums.length > 1 ? sums[1] : null;
            for (int r = r0; r < r1; r++) backwardRow(r, C, dout, x, gamma, mean, rstd, dx, dg, db);
        });
    }

    private static void backwardRow(int r, int C, MemorySegment dout, MemorySegment x, MemorySegment gamma,
                                    MemorySegment mean, MemorySegment rstd, MemorySegment dx, MemorySegment dg,
                                    MemorySegment db) {
        long row = (long) r * C * F;
        float m = mean.get(FLOAT, r * F), rs = rstd.get(FLOAT, r * F);
        FloatVector mv = FloatVector.broadcast(S, m), rv = FloatVector.broadcast(S, rs);
        // Sweep 1: the two row sums, with this slice's dgamma/dbeta accumulated on the way.
        double sumG = 0, sumGX = 0;
        int bound = S.loopBound(C);
        for (int c0 = 0; c0 < bound; c0 += BLOCK) {
            int end = Math.min(bound, c0 + BLOCK);
            FloatVector ag = FloatVector.zero(S), agx = ag;
            for (int c = c0; c < end; c += L) {
                long o = c * F;
                FloatVector d = FloatVector.fromMemorySegment(S, dout, row + o, ORDER);
                FloatVector xh = FloatVector.fromMemorySegment(S, x, row + o, ORDER).sub(mv).mul(rv);
                FloatVector g = d.mul(FloatVector.fromMemorySegment(S, gamma, o, ORDER));
                ag = ag.add(g);
                agx = g.fma(xh, agx);
                d.fma(xh, FloatVector.fromMemorySegment(S, dg, o, ORDER)).intoMemorySegment(dg, o, ORDER);
                if (db != null) d.add(FloatVector.fromMemorySegment(S, db, o, ORDER)).intoMemorySegment(db, o, ORDER);
            }
            sumG += VectorMath.sum(ag);
            sumGX += VectorMath.sum(agx);
        }
        for (int c = bound; c < C; c++) {
            long o = c * F;
            float d = dout.get(FLOAT, row + o);
            float xh = (x.get(FLOAT, row + o) - m) * rs;
            float g = d * gamma.get(FLOAT, o);
            sumG += g;
            sumGX += (double) g * xh;
            dg.set(FLOAT, o, dg.get(FLOAT, o) + d * xh);
            if (db != null) db.set(FLOAT, o, db.get(FLOAT, o) + d);
        }
        // Sweep 2: dx = rstd * (g - meanG - xhat * meanGX).
        float meanG = (float) (sumG / C), meanGX = (float) (sumGX / C);
        FloatVector mg = FloatVector.broadcast(S, meanG), mgx = FloatVector.broadcast(S, meanGX);
        for (int c = 0; c < bound; c += L) {
            long o = c * F;
            FloatVector xh = FloatVector.fromMemorySegment(S, x, row + o, ORDER).sub(mv).mul(rv);
            FloatVector g = FloatVector.fromMemorySegment(S, dout, row + o, ORDER)
                    .mul(FloatVector.fromMemorySegment(S, gamma, o, ORDER));
            g.sub(mg).sub(xh.mul(mgx)).mul(rv).intoMemorySegment(dx, row + o, ORDER);
        }
        for (int c = bound; c < C; c++) {
            long o = c * F;
            float xh = (x.get(FLOAT, row + o) - m) * rs;
            float g = dout.get(FLOAT, row + o) * gamma.get(FLOAT, o);
            dx.set(FLOAT, row + o, (g - meanG - xh * meanGX) * rs);
        }
    }
}
