package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;

import static dev.lathe.core.cpu.CpuVec.F;
import static dev.lathe.core.cpu.CpuVec.FLOAT;
import static dev.lathe.core.cpu.CpuVec.INT;
import static dev.lathe.core.cpu.CpuVec.L;
import static dev.lathe.core.cpu.CpuVec.ORDER;
import static dev.lathe.core.cpu.CpuVec.S;

/**
 * Embedding lookup (row gather) and its scatter-add gradient.
 *
 * <pre>
 * ids : int32 [N]     table, dtable : [V, C]     out, dout : [N, C]
 * out[n, :] = table[ids[n], :]
 * dtable[v, :] = sum over n with ids[n] == v of dout[n, :]     (rows no id hits are 0)
 * </pre>
 */
public final class CpuEmbedding {
    private CpuEmbedding() {}

    public static void forward(int N, int C, int V, MemorySegment ids, MemorySegment table, MemorySegment out) {
        checkIds(N, V, ids);
        long rowBytes = C * F;
        CpuParallel.forRange(N, CpuVec.rowGrain(C), (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                MemorySegment.copy(table, id(ids, n) * rowBytes, out, n * rowBytes, rowBytes);
            }
        });
    }

    /** Scatter-adds every dout row into its id's row of dtable, zeroed first unless accumulate. */
    public static void backward(int N, int C, int V, MemorySegment ids, MemorySegment dout, MemorySegment dtable,
                                boolean accumulate) {
        checkIds(N, V, ids);
        long rowBytes = C * F;
        if (!accumulate) {
            CpuParallel.forRange(V, CpuVec.rowGrain(C), (v0, v1) ->
                    dtable.asSlice(v0 * rowBytes, (v1 - v0) * rowBytes).fill((byte) 0));
        }
        // Race-free without partial buffers: each task owns a contiguous column range of every dtable row, so
        // repeated ids never collide. One range per thread (not finer) keeps each row's inner loop long.
        int parts = N < 2 * CpuVec.rowGrain(C) ? 1 : Math.min(CpuParallel.threads(), Math.max(1, C / (4 * L)));
        CpuParallel.forRange(parts, 1, (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                int c0 = columnStart(p, parts, C), c1 = columnStart(p + 1, parts, C);
                for (int n = 0; n < N; n++) addRow(dout, n * rowBytes, dtable, id(ids, n) * rowBytes, c0, c1);
            }
        });
    }

    /** Start of column range p of parts, rounded down to a whole vector so only the last range has a tail. */
    private static int columnStart(int p, int parts, int C) {
        return p == parts ? C : (int) ((long) C * p / parts) / L * L;
    }

    /** dst[c] += src[c] for columns [c0, c1) of one row each. */
    private static void addRow(MemorySegment src, long srcRow, MemorySegment dst, long dstRow, int c0, int c1) {
        int c = c0;
        for (int bound = c0 + S.loopBound(c1 - c0); c < bound; c += L) {
            long o = c * F;
            FloatVector.fromMemorySegment(S, dst, dstRow + o, ORDER)
                    .add(FloatVector.fromMemorySegment(S, src, srcRow + o, ORDER))
                    .intoMemorySegment(dst, dstRow + o, ORDER);
        }
        for (; c < c1; c++) {
            long o = c * F;
            dst.set(FLOAT, dstRow + o, dst.get(FLOAT, dstRow + o) + src.get(FLOAT, srcRow + o));
        }
    }

    private static long id(MemorySegment ids, int n) {
        return ids.get(INT, n * (long) Integer.BYTES);
    }

    /** Throws IllegalArgumentException naming the first row whose id is outside [0, V). */
    private static void checkIds(int N, int V, MemorySegment ids) {
        for (int n = 0; n < N; n++) {
            long id = id(ids, n);
            if (id < 0 || id >= V) {
                throw new IllegalArgumentException("embedding id at row " + n + " is " + id + ", outside [0, " + V + ")");
            }
        }
    }
}
