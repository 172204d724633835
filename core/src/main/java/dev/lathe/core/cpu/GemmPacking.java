package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.GemmMicroKernel.L;
import static dev.lathe.core.cpu.GemmMicroKernel.MR;
import static dev.lathe.core.cpu.GemmMicroKernel.NR;
import static dev.lathe.core.cpu.GemmMicroKernel.S;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Copies blocks of op(A) and op(B) into the contiguous sliver layouts the micro-kernel streams through, so the
 * kernel sees unit-stride data whatever the transposes and leading dimensions. Short slivers at the matrix
 * edge are zero-padded to full MR / NR width so the kernel never needs a tail path. The packed blocks are
 * {@code float[]} (the kernel's loads then need no per-access bounds checks, see {@link GemmMicroKernel}); source
 * offsets are in bytes, destination offsets in floats.
 */
final class GemmPacking {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final long FB = Float.BYTES;

    /** Two-vector zips: lo = a0 b0 a1 b1 .., hi = the same from the upper halves (index L + i picks b[i]). */
    private static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(S, i -> (i % 2 == 0 ? 0 : L) + i / 2);
    private static final VectorShuffle<Float> ZIP_HI =
            VectorShuffle.fromOp(S, i -> (i % 2 == 0 ? 0 : L) + L / 2 + i / 2);

    /** Two-vector half joins: lo = a[0..L/2] b[0..L/2], hi = a[L/2..L] b[L/2..L] (index L + i picks b[i]). */
    private static final VectorShuffle<Float> HALVES_LO =
            VectorShuffle.fromOp(S, i -> i < L / 2 ? i : L + i - L / 2);
    private static final VectorShuffle<Float> HALVES_HI =
            VectorShuffle.fromOp(S, i -> i < L / 2 ? L / 2 + i : L + i);

    private GemmPacking() {}

    /**
     * Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] as ceil(mc/MR) slivers; sliver s holds [kc][MR] floats from index
     * dOff + s*MR*kc of dst. op(A)(i,p) is A[i*lda + p], or A[p*lda + i] when transA.
     */
    static void packA(boolean transA, MemorySegment a, long lda, int i0, int mc, int p0, int kc, float[] dst,
                      int dOff) {
        for (int s = 0; s < mc; s += MR) {
            int mr = Math.min(MR, mc - s);
            int d = dOff + s * kc;
            if (mr < MR) Arrays.fill(dst, d, d + MR * kc, 0f);
            if (transA) {
                // Row p of the sliver is mr contiguous floats of A's row p0+p. Two full slivers side by side
                // (8 columns = one 256-bit vector a row) go by vector pairs; the rest are scalar copies.
                long row = ((long) p0 * lda + i0 + s) * FB;
                if (L == 2 * MR && mc - s >= 2 * MR) {
                    int done = splitPairs(a, row, lda * FB, kc, dst, d, d + MR * kc);
                    for (int p = done; p < kc; p++) {
                        for (int r = 0; r < 2 * MR; r++) {
                            dst[d + (r / MR) * MR * kc + p * MR + r % MR] = a.get(F, row + (p * lda + r) * FB);
                        }
                    }
                    s += MR; // the second sliver is done too
                    continue;
                }
                for (int p = 0; p < kc; p++, row += lda * FB) {
                    for (int r = 0; r < mr; r++) dst[d + p * MR + r] = a.get(F, row + r * FB);
                }
            } else {
                // Column r of the sliver is a contiguous run of A's row i0+s+r.
                int done = mr == MR ? interleave4(a, ((long) (i0 + s) * lda + p0) * FB, lda * FB, kc, dst, d) : 0;
                for (int r = 0; r < mr; r++) {
                    long row = ((long) (i0 + s + r) * lda + p0) * FB;
                    for (int p = done; p < kc; p++) dst[d + p * MR + r] = a.get(F, row + p * FB);
                }
            }
        }
    }

    /**
     * Non-transposed A fast path for a full sliver: fills sliver rows [0, kc rounded down to L) from A's four rows
     * at byte offset {@code row} (pitch ldaBytes) and returns how many it did. Per L columns: one vector from each
     * row, two zip rounds (t0 = zipLo(v0, v2), t2 = zipLo(v1, v3), then zipLo(t0, t2) = v0[0] v1[0] v2[0] v3[0]
     * v0[1] ..) give the 4·L floats in sliver order, stored as four consecutive vectors.
     */
    private static int interleave4(MemorySegment a, long row, long ldaBytes, int kc, float[] dst, int d) {
        int p = 0;
        for (; p + L <= kc; p += L) {
            long o = row + p * FB;
            FloatVector v0 = load(a, o), v1 = load(a, o + ldaBytes), v2 = load(a, o + 2 * ldaBytes);
            FloatVector v3 = load(a, o + 3 * ldaBytes);
            FloatVector t0 = v0.rearrange(ZIP_LO, v2), t1 = v0.rearrange(ZIP_HI, v2);
            FloatVector t2 = v1.rearrange(ZIP_LO, v3), t3 = v1.rearrange(ZIP_HI, v3);
            int q = d + p * MR;
            t0.rearrange(ZIP_LO, t2).intoArray(dst, q);
            t0.rearrange(ZIP_HI, t2).intoArray(dst, q + L);
            t1.rearrange(ZIP_LO, t3).intoArray(dst, q + 2 * L);
            t1.rearrange(ZIP_HI, t3).intoArray(dst, q + 3 * L);
        }
        return p;
    }

    /**
     * Transposed-A fast path for 8-lane vectors: two full slivers at once (columns i .. i+8 of A's rows, at byte
     * offset {@code row}, pitch ldaBytes) for sliver rows [0, kc rounded down to 2); returns how many rows it did.
     * Per two rows p, p+1 of A: v0 = A[p][i..i+8], v1 = A[p+1][i..i+8]; the first sliver's rows p, p+1 are the
     * lower halves (v0[0..4] v1[0..4], one vector at dst[d0 + p*MR]) and the second's the upper halves. Scalar
     * copies did this at ~2-3 ns a float: a fifth of a weight gradient's time (xᵀ·dy, k = 256).
     */
    private static int splitPairs(MemorySegment a, long row, long ldaBytes, int kc, float[] dst, int d0, int d1) {
        int p = 0;
        for (; p + 2 <= kc; p += 2, row += 2 * ldaBytes) {
            FloatVector v0 = load(a, row), v1 = load(a, row + ldaBytes);
            v0.rearrange(HALVES_LO, v1).intoArray(dst, d0 + p * MR);
            v0.rearrange(HALVES_HI, v1).intoArray(dst, d1 + p * MR);
        }
        return p;
    }

    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] as ceil(nc/NR) slivers; sliver t holds [kc][NR] floats from index
     * dOff + t*NR*kc of dst. op(B)(p,j) is B[p*ldb + j], or B[j*ldb + p] when transB.
     */
    static void packB(boolean transB, MemorySegment b, long ldb, int p0, int kc, int j0, int nc, float[] dst,
                      int dOff) {
        for (int t = 0; t < nc; t += NR) {
            int nr = Math.min(NR, nc - t);
            int d = dOff + t * kc;
            if (nr < NR) Arrays.fill(dst, d, d + NR * kc, 0f);
            if (transB) {
                // Column j of the sliver is a contiguous run of B's row j0+t+j (a PyTorch [out,in] weight).
                int done = L == 8 && nr == NR ? transpose8(b, ldb, j0 + t, p0, kc, dst, d) : 0;
                for (int j = 0; j < nr; j++) {
                    long row = ((long) (j0 + t + j) * ldb + p0) * FB;
                    for (int p = done; p < kc; p++) dst[d + p * NR + j] = b.get(F, row + p * FB);
                }
            } else if (nr == NR) {
                // Row p of the sliver is NR contiguous floats of B's row p0+p: one vector copy per L floats.
                long row = ((long) p0 * ldb + j0 + t) * FB;
                for (int p = 0; p < kc; p++, row += ldb * FB) {
                    for (int v = 0; v < NR; v += L) {
                        load(b, row + v * FB).intoArray(dst, d + p * NR + v);
                    }
                }
            } else {
                long row = ((long) p0 * ldb + j0 + t) * FB;
                for (int p = 0; p < kc; p++, row += ldb * FB) {
                    for (int j = 0; j < nr; j++) dst[d + p * NR + j] = b.get(F, row + j * FB);
                }
            }
        }
    }

    /**
     * Transposed-B fast path for 8-lane vectors: fills sliver rows [0, kc rounded down to 8) of a full sliver
     * (B rows j .. j+NR, columns p0 ..) by 8x8 in-register transposes, and returns how many rows it did. Each
     * block is three perfect-shuffle rounds (out[2i] = zipLo(in[i], in[i+4]), out[2i+1] = zipHi(...)); measured
     * 0.42 ns/float against 0.71 for the scalar copy, which at m = 256 is ~4% of the whole product.
     */
    private static int transpose8(MemorySegment b, long ldb, int j, int p0, int kc, float[] dst, int d) {
        long ls = ldb * FB;
        int rs = NR;
        int p = 0;
        for (; p + 8 <= kc; p += 8) {
            for (int g = 0; g < NR; g += 8) {
                long o = ((long) (j + g) * ldb + p0 + p) * FB;
                FloatVector v0 = load(b, o), v1 = load(b, o + ls), v2 = load(b, o + 2 * ls), v3 = load(b, o + 3 * ls);
                FloatVector v4 = load(b, o + 4 * ls), v5 = load(b, o + 5 * ls), v6 = load(b, o + 6 * ls);
                FloatVector v7 = load(b, o + 7 * ls);
                for (int round = 0; round < 3; round++) {
                    FloatVector t0 = v0.rearrange(ZIP_LO, v4), t1 = v0.rearrange(ZIP_HI, v4);
                    FloatVector t2 = v1.rearrange(ZIP_LO, v5), t3 = v1.rearrange(ZIP_HI, v5);
                    FloatVector t4 = v2.rearrange(ZIP_LO, v6), t5 = v2.rearrange(ZIP_HI, v6);
                    FloatVector t6 = v3.rearrange(ZIP_LO, v7), t7 = v3.rearrange(ZIP_HI, v7);
                    v0 = t0; v1 = t1; v2 = t2; v3 = t3; v4 = t4; v5 = t5; v6 = t6; v7 = t7;
                }
                int q = d + p * NR + g;
                v0.intoArray(dst, q);
                v1.intoArray(dst, q + rs);
                v2.intoArray(dst, q + 2 * rs);
                v3.intoArray(dst, q + 3 * rs);
                v4.intoArray(dst, q + 4 * rs);
                v5.intoArray(dst, q + 5 * rs);
                v6.intoArray(dst, q + 6 * rs);
                v7.intoArray(dst, q + 7 * rs);
            }
        }
        return p;
    }

    private static FloatVector load(MemorySegment seg, long off) {
        return FloatVector.fromMemorySegment(S, seg, off, NO);
    }
}
