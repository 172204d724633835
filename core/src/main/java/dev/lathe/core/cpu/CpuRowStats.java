package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.CpuVec.BLOCK;
import static dev.lathe.core.cpu.CpuVec.F;
import static dev.lathe.core.cpu.CpuVec.FLOAT;
import static dev.lathe.core.cpu.CpuVec.L;
import static dev.lathe.core.cpu.CpuVec.ORDER;
import static dev.lathe.core.cpu.CpuVec.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Statistics of one float32 row x[C] starting at byte offset {@code row} of a segment: max, log-sum-exp and
 * dot products. Shared by softmax, RMSNorm, cross-entropy and the fused classifier. Sums run in float lanes for {@link CpuVec#BLOCK}
 * elements and then carry into float64, so a 50257-wide row keeps ~1e-7 relative accuracy.
 */
public final class CpuRowStats {
    private CpuRowStats() {}

    /** max of the C floats at byte offset row of x (C >= 1). Shared with {@link CpuCrossEntropy}. */
    public static float max(MemorySegment x, long row, int C) {
        FloatVector a = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), b = a;
        int bound = S.loopBound(C);
        int c = 0;
        // Two vectors a step: two independent max chains.
        for (; c + 2 * L <= bound; c += 2 * L) {
            a = a.max(FloatVector.fromMemorySegment(S, x, row + c * F, ORDER));
            b = b.max(FloatVector.fromMemorySegment(S, x, row + (c + L) * F, ORDER));
        }
        for (; c < bound; c += L) a = a.max(FloatVector.fromMemorySegment(S, x, row + c * F, ORDER));
        float mx = a.max(b).reduceLanes(VectorOperators.MAX);
        for (; c < C; c++) mx = Math.max(mx, x.get(FLOAT, row + c * F));
        return mx;
    }

    /** log Σ exp(x[v]) over the row, max-shifted. */
    public static double logSumExp(MemorySegment x, long row, int V) {
        float mx = max(x, row, V);
        FloatVector mv = FloatVector.broadcast(S, mx);
        // exp is long enough that one add chain keeps up; blocks carry the sum in float64.
        double sum = 0;
        int bound = S.loopBound(V);
        for (int v0 = 0; v0 < bound; v0 += BLOCK) {
            int end = Math.min(bound, v0 + BLOCK);
            FloatVector a = FloatVector.zero(S);
            for (int v = v0; v < end; v += L) {
                a = a.add(VectorMath.exp(FloatVector.fromMemorySegment(S, x, row + v * F, ORDER).sub(mv)));
            }
            sum += VectorMath.sum(a);
        }
        for (int v = bound; v < V; v++) sum += Math.exp(x.get(FLOAT, row + v * F) - mx);
        return mx + Math.log(sum);
    }

    /**
     * Σ a[c]·b[c] over the rows of a and b at byte offset {@code row}: two FMA chains a step (hiding the FMA
     * latency) summed in float lanes per block, carried in float64.
     */
    public static double dot(MemorySegment a, MemorySegment b, long row, int C) {
        double s = 0;
        int bound = S.loopBound(C);
        for (int c0 = 0; c0 < bound; c0 += BLOCK) {
            int end = Math.min(bound, c0 + BLOCK);
            FloatVector p = FloatVector.zero(S), q = p;
            int c = c0;
            for (; c + 2 * L <= end; c += 2 * L) {
                long o = row + c * F, o1 = o + L * F;
                p = FloatVector.fromMemorySegment(S, a, o, ORDER).fma(FloatVector.fromMemorySegment(S, b, o, ORDER), p);
                q = FloatVector.fromMemorySegment(S, a, o1, ORDER).fma(FloatVector.fromMemorySegment(S, b, o1, ORDER), q);
            }
            for (; c < end; c += L) {
                long o = row + c * F;
                p = FloatVector.fromMemorySegment(S, a, o, ORDER).fma(FloatVector.fromMemorySegment(S, b, o, ORDER), p);
            }
            s += VectorMath.sum(p.add(q));
        }
        for (int c = bound; c < C; c++) {
            long o = row + c * F;
            s += (double) a.get(FLOAT, o) * b.get(FLOAT, o);
        }
        return s;
    }
}
