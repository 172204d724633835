package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;

import static dev.lathe.core.cpu.CpuVec.BLOCK;
import static dev.lathe.core.cpu.CpuVec.F;
import static dev.lathe.core.cpu.CpuVec.FLOAT;
import static dev.lathe.core.cpu.CpuVec.INT;
import static dev.lathe.core.cpu.CpuVec.L;
import static dev.lathe.core.cpu.CpuVec.ORDER;
import static dev.lathe.core.cpu.CpuVec.S;

/**
 * Softmax cross-entropy against integer targets, one loss per row, with an ignore index.
 *
 * <pre>
 * logits, dlogits : [N, V]     targets : int32 [N]     losses, lse, dlosses : [N]
 * lse[i]    = log sum_v exp(logits[i, v])                  (every row, max-shifted, summed in float64)
 * losses[i] = lse[i] - logits[i, targets[i]]               (0 where targets[i] == ignoreIndex)
 * dlogits[i, v] = dlosses[i] * (exp(logits[i, v] - lse[i]) - [v == targets[i]])   (0 rows where ignored)
 * </pre>
 */
public final class CpuCrossEntropy {
    private CpuCrossEntropy() {}

    public static void forward(int N, int V, MemorySegment logits, MemorySegment targets, int ignoreIndex,
                               MemorySegment losses, MemorySegment lse) {
        checkTargets(N, V, targets, ignoreIndex);
        CpuParallel.forRange(N, CpuVec.rowGrain(V), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                long row = (long) i * V * F;
                double l = CpuRowStats.logSumExp(logits, row, V);
                int t = targets.get(INT, i * (long) Integer.BYTES);
                lse.set(FLOAT, i * F, (float) l);
                losses.set(FLOAT, i * F, t == ignoreIndex ? 0f : (float) (l - logits.get(FLOAT, row + t * F)));
            }
        });
    }

    public static void backward(int N, int V, MemorySegment logits, MemorySegment targets, int ignoreIndex,
                                MemorySegment lse, MemorySegment dlosses, MemorySegment dlogits) {
        checkTargets(N, V, targets, ignoreIndex);
        CpuParallel.forRange(N, CpuVec.rowGrain(V), (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                long row = (long) i * V * F;
                int t = targets.get(INT, i * (long) Integer.BYTES);
                if (t == ignoreIndex) {
                    dlogits.asSlice(row, V * F).fill((byte) 0);
                } else {
                    backwardRow(row, V, t, logits, lse.get(FLOAT, i * F), dlosses.get(FLOAT, i * F), dlogits);
                }
            }
        });
    }

    private static void backwardRow(long row, int V, int t, MemorySegment logits, float l, float dl,
                                    MemorySegment dlogits) {
        FloatVector lv = FloatVector.broadcast(S, l), dv = FloatVector.broadcast(S, dl);
        int bound = S.loopBound(V);
        for (int v = 0; v < bound; v += L) {
            long o = row + v * F;
            VectorMath.exp(FloatVector.fromMemorySegment(S, logits, o, ORDER).sub(lv)).mul(dv)
                    .intoMemorySegment(dlogits, o, ORDER);
        }
        for (int v = bound; v < V; v++) {
            long o = row + v * F;
            dlogits.set(FLOAT, o, (float) Math.exp(logits.get(FLOAT, o) - l) * dl);
        }
        long o = row + t * F;
        dlogits.set(FLOAT, o, dlogits.get(FLOAT, o) - dl);
    }

    /** Throws IllegalArgumentException naming the first row whose target is outside [0, V) and not ignored. */
    private static void checkTargets(int N, int V, MemorySegment targets, int ignoreIndex) {
        for (int i = 0; i < N; i++) {
            int t = targets.get(INT, i * (long) Integer.BYTES);
            if (t != ignoreIndex && (t < 0 || t >= V)) {
                throw new IllegalArgumentException("cross-entropy target at row " + i + " is " + t
                        + ", outside [0, " + V + ") and not the ignore index " + ignoreIndex);
            }
        }
    }
}
