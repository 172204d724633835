package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel: an MR x NR tile of C from a packed A sliver [kc][MR] and a packed B
 * sliver [kc][NR] (layouts written by {@link GemmPacking}).
 *
 * <p>Tile shape MR=4 rows x NR=2 vectors (4x16 on AVX2): per k step 8 accumulators, 2 B vectors and 4 broadcast A
 * values, 14 of the 16 ymm registers, so nothing spills even though C2 hoists all six loads to the top of the
 * loop body; 8 independent FMAs cover the FMA latency (4 cycles) x 2 pipes. The packed operands are
 * {@code float[]}: C2 hoists their bounds checks out of the counted loop, leaving 6 loads, 8 FMAs and the loop
 * counter per step. Single thread on Zen 3 (one core, kc 768, blocks in L2) this runs ~95 GFLOP/s, against
 * ~65 for a 4x24 tile over native segments (a compare-and-branch per load there: the 45 instructions
 * a step left the core front-end bound) and ~43 for 4x24 over arrays (19 live vectors: three accumulators
 * spilled to the stack every step); 3x24, 5x16, 6x16 and 4x8 measured 78, 35, 38 and 48. The body is written
 * against {@code SPECIES_PREFERRED}, so the same code gives 4x32 with AVX-512 and 4x8 with 128-bit vectors.
 */
final class GemmMicroKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final int MR = 4;
    static final int NR = 2 * L;

    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final long FB = Float.BYTES;

    private GemmMicroKernel() {}

    /**
     * tile[MR][NR] = sum over kc steps of ap[ai..] (kc x MR) outer bp[bi..] (kc x NR).
     * The accumulators go to a scratch tile rather than straight to C so one body serves full and edge tiles;
     * the 8 extra stores are nothing next to kc*8 FMAs.
     */
    static void compute(int kc, float[] ap, int ai, float[] bp, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int a = ai + p * MR, b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b);
            FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
    }

    /**
     * C[mr x nr] at byte offset cOff (row pitch ldcBytes) = alpha * tile + beta * C. beta == 0 never reads C,
     * so NaN/garbage there is ignored. Full tiles (mr == MR, nr == NR) use vectors, edges go scalar; both
     * round identically, so results are bitwise the same whatever the thread split.
     */
    static void update(float[] tile, int mr, int nr, float alpha, float beta,
                       MemorySegment c, long cOff, long ldcBytes) {
        if (mr == MR && nr == NR) {
            for (int r = 0; r < MR; r++, cOff += ldcBytes) {
                for (int v = 0; v < NR; v += L) {
                    FloatVector t = FloatVector.fromArray(S, tile, r * NR + v).mul(alpha);
                    long off = cOff + v * FB;
                    if (beta != 0f) {
                        t = FloatVector.fromMemorySegment(S, c, off, NO).fma(FloatVector.broadcast(S, beta), t);
                    }
                    t.intoMemorySegment(c, off, NO);
                }
            }
            return;
        }
        for (int r = 0; r < mr; r++, cOff += ldcBytes) {
            for (int j = 0; j < nr; j++) {
                long off = cOff + j * FB;
                float t = alpha * tile[r * NR + j];
                // Math.fma rounds like the vector path, so C does not depend on where the tile edges fall.
                c.set(F, off, beta == 0f ? t : Math.fma(beta, c.get(F, off), t));
            }
        }
    }
}
