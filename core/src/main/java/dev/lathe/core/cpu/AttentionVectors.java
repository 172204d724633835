package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The length-D row primitives of the attention kernels: rows in a float[] scratch (offset ao; a block is 4 rows
 * at stride D) against one row of a MemorySegment (byte offset x or y). Vector body with scalar tails for D not
 * a multiple of the lane count.
 */
final class AttentionVectors {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Per-thread scratch of the attention kernels, grown on demand and reused by every task on the thread. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** Lane -> block row (lane % 4) for key-major [key][4 rows] data. */
    private static final int[] ROW_OF_LANE = IntStream.range(0, S.length()).map(i -> i % 4).toArray();

    private AttentionVectors() {}

    /** sum_d a[ao+d] * seg[x+d]. */
    static float dot(float[] a, int ao, MemorySegment seg, long x, int D) {
        int d = 0;
        int bound = S.loopBound(D);
        FloatVector acc = FloatVector.zero(S);
        for (; d < bound; d += S.length()) {
            FloatVector xv = FloatVector.fromMemorySegment(S, seg, x + 4L * d, NATIVE);
            acc = FloatVector.fromArray(S, a, ao + d).fma(xv, acc);
        }
        float sum = VectorMath.sum(acc);
        for (; d < D; d++) sum += a[ao + d] * seg.get(F, x + 4L * d);
        return sum;
    }

    /** out[oo+i] = a[ao+i*D ..]·seg[x ..] for the 4 rows i of a block: each segment vector is loaded once. */
    static void dot4(float[] a, int ao, MemorySegment seg, long x, int D, float[] out, int oo) {
        int d = 0;
        int bound = S.loopBound(D);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        for (; d < bound; d += S.length()) {
            FloatVector kv = FloatVector.fromMemorySegment(S, seg, x + 4L * d, NATIVE);
            c0 = FloatVector.fromArray(S, a, ao + d).fma(kv, c0);
            c1 = FloatVector.fromArray(S, a, ao + D + d).fma(kv, c1);
            c2 = FloatVector.fromArray(S, a, ao + 2 * D + d).fma(kv, c2);
            c3 = FloatVector.fromArray(S, a, ao + 3 * D + d).fma(kv, c3);
        }
        float s0 = VectorMath.sum(c0), s1 = VectorMath.sum(c1);
        float s2 = VectorMath.sum(c2), s3 = VectorMath.sum(c3);
        for (; d < D; d++) {
            float kd = seg.get(F, x + 4L * d);
            s0 += a[ao + d] * kd;
            s1 += a[ao + D + d] * kd;
            s2 += a[ao + 2 * D + d] * kd;
            s3 += a[ao + 3 * D + d] * kd;
        }
        out[oo] = s0;
        out[oo + 1] = s1;
        out[oo + 2] = s2;
        out[oo + 3] = s3;
    }

    /** a[ao+d] += c * seg[x+d] for one row. */
    static void axpyInto(float c, MemorySegment seg, long x, float[] a, int ao, int D) {
        int d = 0;
        int bound = S.loopBound(D);
        FloatVector w = FloatVector.broadcast(S, c);
        for (; d < bound; d += S.length()) {
            FloatVector xv = FloatVector.fromMemorySegment(S, seg, x + 4L * d, NATIVE);
            xv.fma(w, FloatVector.fromArray(S, a, ao + d)).intoArray(a, ao + d);
        }
        for (; d < D; d++) a[ao + d] += c * seg.get(F, x + 4L * d);
    }

    /** a[ao+i*D+d] += c[co+i] * seg[x+d] for the 4 rows i of a block. */
    static void axpy4Into(float[] c, int co, MemorySegment seg, long x, float[] a, int ao, int D) {
        axpy4Into(0, c, co, seg, x, a, ao, D);
    }

    /** {@link #axpy4Into} over columns [from, D) only. */
    private static void axpy4Into(int from, float[] c, int co, MemorySegment seg, long x, float[] a, int ao, int D) {
        int d = from;
        int bound = from + S.loopBound(D - from);
        FloatVector w0 = FloatVector.broadcast(S, c[co]), w1 = FloatVector.broadcast(S, c[co + 1]);
        FloatVector w2 = FloatVector.broadcast(S, c[co + 2]), w3 = FloatVector.broadcast(S, c[co + 3]);
        for (; d < bound; d += S.length()) {
            FloatVector xv = FloatVector.fromMemorySegment(S, seg, x + 4L * d, NATIVE);
            xv.fma(w0, FloatVector.fromArray(S, a, ao + d)).intoArray(a, ao + d);
            xv.fma(w1, FloatVector.fromArray(S, a, ao + D + d)).intoArray(a, ao + D + d);
            xv.fma(w2, FloatVector.fromArray(S, a, ao + 2 * D + d)).intoArray(a, ao + 2 * D + d);
            xv.fma(w3, FloatVector.fromArray(S, a, ao + 3 * D + d)).intoArray(a, ao + 3 * D + d);
        }
        for (; d < D; d++) {
            float xd = seg.get(F, x + 4L * d);
            a[ao + d] += c[co] * xd;
            a[ao + D + d] += c[co + 1] * xd;
            a[ao + 2 * D + d] += c[co + 2] * xd;
            a[ao + 3 * D + d] += c[co + 3] * xd;
        }
    }

    /**
     * a[ao+i*D+d] += sum_j c[co+4j+i] * seg[x+j*rowBytes+d] for the 4 rows i of a block and n rows j of seg
     * (key-major weights [j][4], e.g. probabilities times value rows): {@link #axpy4Into} for each j in turn, the
     * same roundings in the same order, but a chunk of the 4 accumulator rows (4 x 2 vectors) stays in registers
     * across all n rows of seg instead of a load and a store of it per row.
     */
    static void axpy4IntoRows(float[] c, int co, int n, MemorySegment seg, long x, long rowBytes, float[] a, int ao,
                              int D) {
        int L = S.length(), d = 0;
        for (; d + 2 * L <= D; d += 2 * L) {
            FloatVector a00 = FloatVector.fromArray(S, a, ao + d), a01 = FloatVector.fromArray(S, a, ao + d + L);
            FloatVector a10 = FloatVector.fromArray(S, a, ao + D + d);
            FloatVector a11 = FloatVector.fromArray(S, a, ao + D + d + L);
            FloatVector a20 = FloatVector.fromArray(S, a, ao + 2 * D + d);
            FloatVector a21 = FloatVector.fromArray(S, a, ao + 2 * D + d + L);
            FloatVector a30 = FloatVector.fromArray(S, a, ao + 3 * D + d);
            FloatVector a31 = FloatVector.fromArray(S, a, ao + 3 * D + d + L);
            long xj = x + 4L * d;
            for (int j = 0, cj = co; j < n; j++, cj += 4, xj += rowBytes) {
                FloatVector x0 = FloatVector.fromMemorySegment(S, seg, xj, NATIVE);
                FloatVector x1 = FloatVector.fromMemorySegment(S, seg, xj + 4L * L, NATIVE);
                FloatVector w = FloatVector.broadcast(S, c[cj]);
                a00 = x0.fma(w, a00);
                a01 = x1.fma(w, a01);
                w = FloatVector.broadcast(S, c[cj + 1]);
                a10 = x0.fma(w, a10);
                a11 = x1.fma(w, a11);
                w = FloatVector.broadcast(S, c[cj + 2]);
                a20 = x0.fma(w, a20);
                a21 = x1.fma(w, a21);
                w = FloatVector.broadcast(S, c[cj + 3]);
                a30 = x0.fma(w, a30);
                a31 = x1.fma(w, a31);
            }
            a00.intoArray(a, ao + d);
            a01.intoArray(a, ao + d + L);
            a10.intoArray(a, ao + D + d);
            a11.intoArray(a, ao + D + d + L);
            a20.intoArray(a, ao + 2 * D + d);
            a21.intoArray(a, ao + 2 * D + d + L);
            a30.intoArray(a, ao + 3 * D + d);
            a31.intoArray(a, ao + 3 * D + d + L);
        }
        if (d < D) { // a head dim that is not a multiple of 2 vectors: the rest row by row
            for (int j = 0; j < n; j++) axpy4Into(d, c, co + 4 * j, seg, x + j * rowBytes, a, ao, D);
        }
    }

    /** seg[y+d] += sum_i c[co+i] * a[ao+i*D+d] over the 4 rows i of a block: one load and store of seg. */
    static void axpy4Out(float[] c, int co, float[] a, int ao, MemorySegment seg, long y, int D) {
        int d = 0;
        int bound = S.loopBound(D);
        FloatVector w0 = FloatVector.broadcast(S, c[co]), w1 = FloatVector.broadcast(S, c[co + 1]);
        FloatVector w2 = FloatVector.broadcast(S, c[co + 2]), w3 = FloatVector.broadcast(S, c[co + 3]);
        for (; d < bound; d += S.length()) {
            FloatVector yv = FloatVector.fromMemorySegment(S, seg, y + 4L * d, NATIVE);
            yv = FloatVector.fromArray(S, a, ao + d).fma(w0, yv);
            yv = FloatVector.fromArray(S, a, ao + D + d).fma(w1, yv);
            yv = FloatVector.fromArray(S, a, ao + 2 * D + d).fma(w2, yv);
            yv = FloatVector.fromArray(S, a, ao + 3 * D + d).fma(w3, yv);
            yv.intoMemorySegment(seg, y + 4L * d, NATIVE);
        }
        for (; d < D; d++) {
            float sum = c[co] * a[ao + d] + c[co + 1] * a[ao + D + d] + c[co + 2] * a[ao + 2 * D + d]
                    + c[co + 3] * a[ao + 3 * D + d];
            seg.set(F, y + 4L * d, seg.get(F, y + 4L * d) + sum);
        }
    }

    /**
     * a[ao+e] = exp(a[ao+e] - shift[so + e%4]) for e < count: key-major scores [key][4 rows] of a block, each
     * shifted by its row's max or lse (finite). The vector exp is many times faster than Math.exp.
     */
    static void exp4(float[] a, int ao, int count, float[] shift, int so) {
        FloatVector sv = FloatVector.fromArray(S, shift, so, ROW_OF_LANE, 0);
        int e = 0;
        int bound = S.length() % 4 == 0 ? S.loopBound(count) : 0; // vectors must hold whole keys
        for (; e < bound; e += S.length()) {
            VectorMath.exp(FloatVector.fromArray(S, a, ao + e).sub(sv)).intoArray(a, ao + e);
        }
        for (; e < count; e++) a[ao + e] = (float) Math.exp(a[ao + e] - shift[so + e % 4]);
    }

    /** a[ao+d] = alpha * seg[x+d]. */
    static void load(float alpha, MemorySegment seg, long x, float[] a, int ao, int D) {
        int d = 0;
        int bound = S.loopBound(D);
        for (; d < bound; d += S.length()) {
            FloatVector.fromMemorySegment(S, seg, x + 4L * d, NATIVE).mul(alpha).intoArray(a, ao + d);
        }
        for (; d < D; d++) a[ao + d] = alpha * seg.get(F, x + 4L * d);
    }

    /** seg[y+d] = alpha * a[ao+d]. */
    static void store(float alpha, float[] a, int ao, MemorySegment seg, long y, int D) {
        int d = 0;
        int bound = S.loopBound(D);
        for (; d < bound; d += S.length()) {
            FloatVector.fromArray(S, a, ao + d).mul(alpha).intoMemorySegment(seg, y + 4L * d, NATIVE);
        }
        for (; d < D; d++) seg.set(F, y + 4L * d, alpha * a[ao + d]);
    }

    /** a[ao+d] *= alpha. */
    static void scale(float alpha, float[] a, int ao, int D) {
        int d = 0;
        int bound = S.loopBound(D);
        for (; d < bound; d += S.length()) {
            FloatVector.fromArray(S, a, ao + d).mul(alpha).intoArray(a, ao + d);
        }
        for (; d < D; d++) a[ao + d] *= alpha;
    }

    /** This thread's scratch with room for at least n floats (contents undefined). */
    static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) {
            s = new float[n];
            SCRATCH.set(s);
        }
        return s;
    }
}
