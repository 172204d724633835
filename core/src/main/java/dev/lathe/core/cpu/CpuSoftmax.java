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
 * Softmax over the last axis.
 *
 * <pre>
 * x, out, dout, dx : [rows, C]
 * out = exp(x - max_c x) / sum_c exp(x - max_c x)
 * dx  = out * (dout - sum_c(dout * out))
 * </pre>
 */
public final class CpuSoftmax {
    private CpuSoftmax() {}

    public static void forward(int rows, int C, MemorySegment x, MemorySegment out) {
        CpuParallel.forRange(rows, CpuVec.rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) forwardRow((long) r * C * F, C, x, out);
        });
    }

    private static void forwardRow(long row, int C, MemorySegment x, MemorySegment out) {
        float mx = CpuRowStats.max(x, row, C);
        FloatVector mv = FloatVector.broadcast(S, mx);
        // Sweep 1: out = exp(x - max), summed in float64 by blocks. exp is long enough that one add chain keeps up.
        double sum = 0;
        int bound = S.loopBound(C);
        for (int c0 = 0; c0 < bound; c0 += BLOCK) {
            int end = Math.min(bound, c0 + BLOCK);
            FloatVector a = FloatVector.zero(S);
            for (int c = c0; c < end; c += L) {
                long o = row + c * F;
                FloatVector e = VectorMath.exp(FloatVector.fromMemorySegment(S, x, o, ORDER).sub(mv));
                e.intoMemorySegment(out, o, ORDER);
                a = a.add(e);
            }
            sum += VectorMath.sum(a);
        }
        for (int c = bound; c < C; c++) {
            long o = row + c * F;
            float e = (float) Math.exp(x.get(FLOAT, o) - mx);
            out.set(FLOAT, o, e);
            sum += e;
        }
        // Sweep 2: normalise.
        float inv = (float) (1.0 / sum);
        FloatVector iv = FloatVector.broadcast(S, inv);
        for (int c = 0; c < bound; c += L) {
            long o = row + c * F;
            FloatVector.fromMemorySegment(S, out, o, ORDER).mul(iv).intoMemorySegment(out, o, ORDER);
        }
        for (int c = bound; c < C; c++) {
            long o = row + c * F;
            out.set(FLOAT, o, out.get(FLOAT, o) * inv);
        }
    }

    public static void backward(int rows, int C, MemorySegment out, MemorySegment dout, MemorySegment dx) {
        CpuParallel.forRange(rows, CpuVec.rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) backwardRow((long) r * C * F, C, out, dout, dx);
        });
    }

    private static void backwardRow(long row, int C, MemorySegment out, MemorySegment dout, MemorySegment dx) {
        // Sweep 1: s = sum(dout * out), carried in float64.
        double s = CpuRowStats.dot(dout, out, row, C);
        // Sweep 2: dx = out * (dout - s).
        float sf = (float) s;
        int bound = S.loopBound(C);
        FloatVector sv = FloatVector.broadcast(S, sf);
        for (int c = 0; c < bound; c += L) {
            long o = row + c * F;
            FloatVector.fromMemorySegment(S, dout, o, ORDER).sub(sv)
                    .mul(FloatVector.fromMemorySegment(S, out, o, ORDER))
                    .intoMemorySegment(dx, o, ORDER);
        }
        for (int c = bound; c < C; c++) {
            long o = row + c * F;
            dx.set(FLOAT, o, out.get(FLOAT, o) * (dout.get(FLOAT, o) - sf));
        }
    }
}
