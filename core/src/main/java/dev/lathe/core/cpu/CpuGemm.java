package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.GemmMicroKernel.MR;
import static dev.lathe.core.cpu.GemmMicroKernel.NR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Single-precision GEMM on row-major native float32 segments, GotoBLAS/BLIS style: op(B) is packed a
 * KC x NC panel at a time, op(A) an MC x KC block at a time, and {@link GemmMicroKernel} sweeps MR x NR tiles
 * over them. Work is split over column blocks (or row blocks when C is tall) so tasks write disjoint parts
 * of C; each thread packs into its own scratch.
 */
public final class CpuGemm {
    /* Block sizes in floats, for 32 KiB L1d / 512 KiB L2 per core and a shared 32 MiB L3 (MR x NR = 4 x 16).
     *  KC: the K depth of one pass over C. Deep passes amortise each tile's C update (load, scale, store) and
     *      C's trips through the cache: single-thread 1024^3 went 53 -> 58 GFLOP/s from KC 256 to 768, and
     *      GPT-2's k = 768 becomes a single pass. The B sliver KC x NR = 768*16*4 = 48 KiB then streams from
     *      L2 (2 vector loads per 8 FMAs, well inside L2 bandwidth) while the 12 KiB A sliver stays in L1.
     *      K is cut into equal blocks of at most KC (k = 1024 -> 2 x 512) so no pass is a sliver.
     *  MC: the packed A block MC x KC = 48*768*4 = 144 KiB sits in L2 beside the B sliver (a multiple of MR).
     *  NC: the packed B panel KC x NC = 768*1536*4 = 4.5 MiB a thread; both threads' panels fit in L3 (a
     *      multiple of NR for 128/256/512-bit vectors: 8, 16, 32). */
    static final int KC = 768;
    static final int MC = 48;
    static final int NC = 1536;

    /** Below this many flops (2mnk, e.g. 64x64x256) threading costs more than it saves. */
    private static final long PARALLEL_MIN_FLOPS = 1L << 21;
    /**
     * Each task repacks the whole other operand, so ask forRange for >= 512 columns (rows) a task; it cuts the
     * range into equal chunks, at least one a thread, so a chunk can be down to half that.
     */
    private static final int MIN_TASK_EXTENT = 512;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Per-thread pack buffers (heap arrays: the kernel's loads from them need no per-access bounds check, see
     * {@link GemmMicroKernel}) and the kernel's tile, allocated once per thread and freed by the GC with it.
     */
    private static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** One product's operands; element offsets are folded into the segments by slicing. */
    private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           MemorySegment a, int lda, MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {}

    private CpuGemm() {}

    /**
     * Row-major C[m,n] = alpha * op(A)[m,k] @ op(B)[k,n] + beta * C. op(A)=A stored [m,k] (lda>=k) or, if
     * transA, A stored [k,m] (lda>=m); op(B)=B stored [k,n] (ldb>=n) or, if transB, B stored [n,k] (ldb>=k).
     * beta==0 overwrites C (NaN/garbage in C ignored).
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             MemorySegment a, int lda, MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        run(new Problem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), true);
    }

    /**
     * Same for {@code batch} independent products; matrix i of A starts at element i*strideA (stride 0 = the
     * same matrix broadcast to every batch), likewise B, C. With strideC == 0 the products run in order on the
     * one C (so beta == 1 accumulates them).
     */
    public static void sgemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    MemorySegment a, int lda, long strideA, MemorySegment b, int ldb, long strideB,
                                    float beta, MemorySegment c, int ldc, long strideC, int batch) {
        if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("negative batch or stride");
        }
        if (batch == 0) return;
        // Check the first and the last product; the strides are linear in between.
        check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        Problem last = item(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
                batch - 1);
        check(transA, transB, m, n, k, last.a(), lda, last.b(), ldb, last.c(), ldc);
        if (strideC == 0 || batch < CpuParallel.threads()) {
            // Few products (or one shared C): run them one after another, each threaded inside.
            for (int i = 0; i < batch; i++) {
                run(item(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, i),
                        true);
            }
            return;
        }
        // Many products: one thread a product.
        CpuParallel.forRange(batch, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                run(item(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, i),
                        false);
            }
        });
    }

    private static Problem item(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                MemorySegment a, int lda, long strideA, MemorySegment b, int ldb, long strideB,
                                float beta, MemorySegment c, int ldc, long strideC, int i) {
        return new Problem(transA, transB, m, n, k, alpha, a.asSlice(i * strideA * Float.BYTES), lda,
                b.asSlice(i * strideB * Float.BYTES), ldb, beta, c.asSlice(i * strideC * Float.BYTES), ldc);
    }

    private static void run(Problem p, boolean mayThread) {
        if (p.m() == 0 || p.n() == 0) return;
        if (p.k() == 0 || p.alpha() == 0f) {
            scale(p.c(), p.ldc(), p.m(), p.n(), p.beta());
            return;
        }
        long flops = 2L * p.m() * p.n() * p.k();
        if (!mayThread || CpuParallel.threads() == 1 || flops < PARALLEL_MIN_FLOPS) {
            blocked(p, 0, p.m(), 0, p.n());
        } else if (p.n() >= p.m()) {
            int units = ceilDiv(p.n(), NR);
            CpuParallel.forRange(units, MIN_TASK_EXTENT / NR,
                    (from, to) -> blocked(p, 0, p.m(), from * NR, Math.min(p.n(), to * NR)));
        } else {
            int units = ceilDiv(p.m(), MR);
            CpuParallel.forRange(units, MIN_TASK_EXTENT / MR,
                    (from, to) -> blocked(p, from * MR, Math.min(p.m(), to * MR), 0, p.n()));
        }
    }

    /** C[i0..i1, j0..j1] of problem p, the five-loop GotoBLAS nest on the calling thread's scratch. */
    private static void blocked(Problem p, int i0, int i1, int j0, int j1) {
        Scratch s = SCRATCH.get();
        long ldcBytes = (long) p.ldc() * Float.BYTES;
        int kBlock = ceilDiv(p.k(), ceilDiv(p.k(), KC));
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < p.k(); pc += kBlock) {
                int kc = Math.min(kBlock, p.k() - pc);
                // Only the first K block applies the caller's beta; later ones accumulate onto it.
                float beta = pc == 0 ? p.beta() : 1f;
                GemmPacking.packB(p.transB(), p.b(), p.ldb(), pc, kc, jc, nc, s.b);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    GemmPacking.packA(p.transA(), p.a(), p.lda(), ic, mc, pc, kc, s.a);
                    // jr outside ir: one B sliver is reused against every A sliver of the L2-resident block.
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bSliver = jr * kc;
                        long cCol = (long) (jc + jr) * Float.BYTES;
                        for (int ir = 0; ir < mc; ir += MR) {
                            GemmMicroKernel.compute(kc, s.a, ir * kc, s.b, bSliver, s.tile);
                            GemmMicroKernel.update(s.tile, Math.min(MR, mc - ir), nr, p.alpha(), beta,
                                    p.c(), (ic + ir) * ldcBytes + cCol, ldcBytes);
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /** C = beta * C (k == 0 or alpha == 0); beta == 0 writes zeros without reading C. */
    private static void scale(MemorySegment c, int ldc, int m, int n, float beta) {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) {
            long row = (long) i * ldc * Float.BYTES;
            for (int j = 0; j < n; j++) {
                long off = row + (long) j * Float.BYTES;
                c.set(F, off, beta == 0f ? 0f : beta * c.get(F, off));
            }
        }
    }

    private static void check(boolean transA, boolean transB, int m, int n, int k,
                              MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment c, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative size " + m + "x" + n + "x" + k);
        need("A", a, lda, transA ? k : m, transA ? m : k);
        need("B", b, ldb, transB ? n : k, transB ? k : n);
        need("C", c, ldc, m, n);
    }

    /** A stored rows x cols matrix with leading dimension ld must have ld >= cols and fit in seg. */
    private static void need(String name, MemorySegment seg, int ld, int rows, int cols) {
        if (ld < cols) throw new IllegalArgumentException(name + ": ld " + ld + " < " + cols);
        long elems = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
        if (seg.byteSize() < elems * Float.BYTES) {
            throw new IndexOutOfBoundsException(name + ": needs " + elems + " floats, segment has "
                    + seg.byteSize() / Float.BYTES);
        }
    }
}
