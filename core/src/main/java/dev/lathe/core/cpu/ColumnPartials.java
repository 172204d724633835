package dev.lathe.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;

import static dev.lathe.core.cpu.CpuVec.F;
import static dev.lathe.core.cpu.CpuVec.FLOAT;
import static dev.lathe.core.cpu.CpuVec.L;
import static dev.lathe.core.cpu.CpuVec.ORDER;
import static dev.lathe.core.cpu.CpuVec.S;

/**
 * Race-free per-column sums (dgamma, dbeta, dweight) fused into a row-parallel backward pass.
 *
 * <p>The rows are cut into a fixed number of contiguous slices; slice 0 accumulates straight into the zeroed
 * outputs, every other slice into its own native partial buffer, and {@link #reduce} adds the partials into the
 * outputs. The slicing depends only on the sizes and the thread count, never on scheduling, so results are
 * reproducible. The partials are native like the callers' segments: a heap segment reaching the same vector
 * loads makes them polymorphic, which made the backward 3-4x slower when measured.
 */
final class ColumnPartials {
    /** Body of one slice: rows [from, to), accumulating into sums[k] (each [C]) with {@code +=}. */
    @FunctionalInterface
    interface SliceBody {
        void run(int from, int to, MemorySegment[] sums);
    }

    private ColumnPartials() {}

    /**
     * Zeroes outs (each [C]), runs body over [0, rows) in slices of at least grain rows, and leaves the column
     * sums over all rows in outs.
     */
    static void run(int rows, int C, int grain, MemorySegment[] outs, SliceBody body) {
        for (MemorySegment out : outs) CpuVec.zero(out, C);
        int slices = Math.max(1, Math.min(CpuParallel.threads(), rows / Math.max(1, grain)));
        MemorySegment[][] sums = new MemorySegment[slices][];
        sums[0] = outs;
        for (int s = 1; s < slices; s++) {
            sums[s] = new MemorySegment[outs.length];
            for (int k = 0; k < outs.length; k++) sums[s][k] = Arena.ofAuto().allocate(C * F, 64);
        }
        CpuParallel.forRange(slices, 1, (s0, s1) -> {
            for (int s = s0; s < s1; s++) {
                body.run((int) ((long) rows * s / slices), (int) ((long) rows * (s + 1) / slices), sums[s]);
            }
        });
        for (int s = 1; s < slices; s++) {
            for (int k = 0; k < outs.length; k++) reduce(C, sums[s][k], outs[k]);
        }
    }

    /** out[c] += part[c] for c in [0, C). */
    private static void reduce(int C, MemorySegment part, MemorySegment out) {
        int c = 0;
        for (int bound = S.loopBound(C); c < bound; c += L) {
            long o = c * F;
            FloatVector.fromMemorySegment(S, out, o, ORDER)
                    .add(FloatVector.fromMemorySegment(S, part, o, ORDER))
                    .intoMemorySegment(out, o, ORDER);
        }
        for (; c < C; c++) {
            long o = c * F;
            out.set(FLOAT, o, out.get(FLOAT, o) + part.get(FLOAT, o));
        }
    }
}
