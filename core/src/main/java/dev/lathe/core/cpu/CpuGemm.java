package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.GemmMicroKernel.MR;
import static dev.lathe.core.cpu.GemmMicroKernel.NR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Single-precision GEMM on row-major native float32 segments, GotoBLAS/BLIS style: op(A) and op(B) are packed into
 * the sliver layouts of {@link GemmMicroKernel}, which sweeps MR x NR tiles over them.
 *
 * <p>On one thread ({@link #blocked}) op(B) is packed a KC x NC panel at a time and op(A) an MC x KC block at a
 * time. Threaded, each K block packs one operand once into a buffer all threads read (op(A) when C is wide,
 * op(B) when it is tall), then hands out small tasks over the other operand (32-256 columns, or MC rows), each
 * packing its own part: nothing is packed twice, and the tasks are fine enough that a core slowed by a neighbour
 * (this host's two vCPUs ran 1.6x apart for seconds at a time) just takes fewer of them.
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
     *      multiple of NR for 128/256/512-bit vectors: 8, 16, 32). Also the widest shared B panel.
     *  SHARED_ROWS: the most rows of op(A) packed for all threads at once (KC x 1536 floats, 4.5 MiB, in L3). */
    static final int KC = 768;
    static final int MC = 48;
    static final int NC = 1536;
    static final int SHARED_ROWS = 1536;

    /**
     * Column tasks of a wide product: at least this many B slivers (each A block is reused across them; a task
     * re-reads the shared A from L3, 256 x 768 floats for GPT-2's products, ~5 GB/s at full speed).
     */
    private static final int MIN_TASK_SLIVERS = 2;
    /** ... and at most this many: a task's packed B (KC x 256 floats, 768 KiB) is re-read for each A block. */
    private static final int MAX_TASK_SLIVERS = 16;
    /**
     * Tasks a thread, when the product is wide enough: enough to even out a core that runs slower. 16 rather
     * than 8 (with MIN_TASK_SLIVERS 2 rather than 4): 24 instead of 12 tasks for n = 768, measured 3-7% faster on
     * 256x768x3072 and the LM head's 256x768x50257 (median, the two alternating in one JVM), level elsewhere.
     */
    private static final int TASKS_PER_THREAD = 16;

    /** Below this many flops (2mnk, e.g. 64x64x256) threading costs more than it saves. */
    private static final long PARALLEL_MIN_FLOPS = 1L << 21;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Per-thread pack buffers (heap arrays: the kernel's loads from them need no per-access bounds check, see
     * {@link GemmMicroKernel}) and the kernel's tile, allocated once per thread and freed by the GC with it.
     * {@code shared} holds the operand a threaded product packs for all threads; only a thread that starts
     * threaded products allocates it.
     */
    private static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        final float[] tile = new float[MR * NR];
        float[] shared;

        float[] shared() {
            if (shared == null) shared = new float[KC * Math.max(SHARED_ROWS, NC)];
            return shared;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** When set ({@code --blas native}), products go to this library's cblas_sgemm instead of the Java kernel. */
    private static volatile NativeBlas blas;

    /** One product's operands; element offsets are folded into the segments by slicing. */
    private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           MemorySegment a, int lda, MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {}

    private CpuGemm() {}

    /** Routes every product to {@code nativeBlas}'s cblas_sgemm, or back to the Java kernel when null. */
    public static void useBlas(NativeBlas nativeBlas) {
        blas = nativeBlas;
    }

    /** What computes the products: {@code java-vector}, or {@code native:} and the BLAS library. */
    public static String implementation() {
        NativeBlas b = blas;
        return b == null ? "java-vector" : "native:" + b.library();
    }

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
        if (strideC == 0 || batch < CpuParallel.threads() || blas != null) {
            // Few products, one shared C, or a native BLAS (which threads itself): one product after another.
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
        NativeBlas nb = blas;
        if (nb != null) {
            // The library threads itself: park the team's spinning workers so they do not hold the cores.
            CpuParallel.parkWorkers();
            nb.sgemm(p.transA(), p.transB(), p.m(), p.n(), p.k(), p.alpha(), p.a(), p.lda(), p.b(), p.ldb(), p.beta(),
                    p.c(), p.ldc());
            return;
        }
        long flops = 2L * p.m() * p.n() * p.k();
        if (!mayThread || CpuParallel.threads() == 1 || flops < PARALLEL_MIN_FLOPS) {
            blocked(p);
        } else if (p.n() >= p.m()) {
            wide(p);
        } else {
            tall(p);
        }
    }

    /** Equal K blocks of at most KC (k = 1024 -> 2 x 512), so no pass over C is a sliver. */
    private static int kBlock(int k) {
        return ceilDiv(k, ceilDiv(k, KC));
    }

    /**
     * Threaded product with n >= m. Per K block and panel of at most SHARED_ROWS rows: the threads pack op(A)
     * once into the caller's shared buffer, then take column tasks; a task packs its op(B) columns into its own
     * scratch and sweeps each MC-row block of the shared A over them, the block pulled into L2 once per task.
     * (Sweeping A sliver by sliver instead, each sliver held in L1 across the task's B slivers, measured 4-8%
     * slower at 1024^3 and 256x2304x768: every tile then read its B sliver from L2.)
     */
    private static void wide(Problem p) {
        float[] sa = SCRATCH.get().shared();
        int kb = kBlock(p.k());
        int slivers = Math.clamp(ceilDiv(p.n(), NR * TASKS_PER_THREAD * CpuParallel.threads()),
                MIN_TASK_SLIVERS, MAX_TASK_SLIVERS);
        int taskCols = slivers * NR, tasks = ceilDiv(p.n(), taskCols);
        long ldcBytes = (long) p.ldc() * Float.BYTES;
        for (int i0 = 0; i0 < p.m(); i0 += SHARED_ROWS) {
            int ic = i0, mp = Math.min(SHARED_ROWS, p.m() - i0);
            for (int pc = 0; pc < p.k(); pc += kb) {
                int kp = pc, kc = Math.min(kb, p.k() - pc);
                float beta = pc == 0 ? p.beta() : 1f;
                CpuParallel.forRange(ceilDiv(mp, MR), MC / MR, (from, to) -> GemmPacking.packA(p.transA(), p.a(),
                        p.lda(), ic + from * MR, Math.min(mp, to * MR) - from * MR, kp, kc, sa, from * MR * kc));
                CpuParallel.forEach(tasks, t -> {
                    Scratch s = SCRATCH.get();
                    int j0 = t * taskCols, nc = Math.min(taskCols, p.n() - j0);
                    GemmPacking.packB(p.transB(), p.b(), p.ldb(), kp, kc, j0, nc, s.b, 0);
                    for (int ir = 0; ir < mp; ir += MC) {
                        sweep(s, kc, sa, ir * kc, Math.min(MC, mp - ir), s.b, nc, beta, p,
                                (ic + ir) * ldcBytes + (long) j0 * Float.BYTES, ldcBytes);
                    }
                });
            }
        }
    }

    /**
     * Threaded product with m > n. Per K block and panel of at most NC columns: the threads pack op(B) once into
     * the caller's shared buffer, then take MC-row tasks; a task packs its op(A) rows into its own scratch (in L2)
     * and runs every B sliver against them, B sliver outside so each is reused by the block's A slivers.
     */
    private static void tall(Problem p) {
        float[] sb = SCRATCH.get().shared();
        int kb = kBlock(p.k()), tasks = ceilDiv(p.m(), MC);
        long ldcBytes = (long) p.ldc() * Float.BYTES;
        for (int j0 = 0; j0 < p.n(); j0 += NC) {
            int jc = j0, np = Math.min(NC, p.n() - j0);
            for (int pc = 0; pc < p.k(); pc += kb) {
                int kp = pc, kc = Math.min(kb, p.k() - pc);
                float beta = pc == 0 ? p.beta() : 1f;
                CpuParallel.forRange(ceilDiv(np, NR), MIN_TASK_SLIVERS, (from, to) -> GemmPacking.packB(p.transB(),
                        p.b(), p.ldb(), kp, kc, jc + from * NR, Math.min(np, to * NR) - from * NR, sb, from * NR * kc));
                CpuParallel.forEach(tasks, t -> {
                    Scratch s = SCRATCH.get();
                    int i0 = t * MC, mc = Math.min(MC, p.m() - i0);
                    GemmPacking.packA(p.transA(), p.a(), p.lda(), i0, mc, kp, kc, s.a, 0);
                    sweep(s, kc, s.a, 0, mc, sb, np, beta, p, i0 * ldcBytes + (long) jc * Float.BYTES, ldcBytes);
                });
            }
        }
    }

    /** Problem p on the calling thread alone: the five-loop GotoBLAS nest on its scratch. */
    private static void blocked(Problem p) {
        Scratch s = SCRATCH.get();
        long ldcBytes = (long) p.ldc() * Float.BYTES;
        int kb = kBlock(p.k());
        for (int jc = 0; jc < p.n(); jc += NC) {
            int nc = Math.min(NC, p.n() - jc);
            for (int pc = 0; pc < p.k(); pc += kb) {
                int kc = Math.min(kb, p.k() - pc);
                // Only the first K block applies the caller's beta; later ones accumulate onto it.
                float beta = pc == 0 ? p.beta() : 1f;
                GemmPacking.packB(p.transB(), p.b(), p.ldb(), pc, kc, jc, nc, s.b, 0);
                for (int ic = 0; ic < p.m(); ic += MC) {
                    int mc = Math.min(MC, p.m() - ic);
                    GemmPacking.packA(p.transA(), p.a(), p.lda(), ic, mc, pc, kc, s.a, 0);
                    sweep(s, kc, s.a, 0, mc, s.b, nc, beta, p, ic * ldcBytes + (long) jc * Float.BYTES, ldcBytes);
                }
            }
        }
    }

    /**
     * A packed A block (mc rows from ap[aOff]) against a packed B panel (nc columns from bp[0]), into C from byte
     * offset cOff, with s's tile. jr outside ir: one B sliver is reused against every A sliver of the block, which
     * stays in L2.
     */
    private static void sweep(Scratch s, int kc, float[] ap, int aOff, int mc, float[] bp, int nc, float beta,
                              Problem p, long cOff, long ldcBytes) {
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            long cCol = cOff + (long) jr * Float.BYTES;
            for (int ir = 0; ir < mc; ir += MR) {
                GemmMicroKernel.compute(kc, ap, aOff + ir * kc, bp, jr * kc, s.tile);
                GemmMicroKernel.update(s.tile, Math.min(MR, mc - ir), nr, p.alpha(), beta, p.c(),
                        cCol + ir * ldcBytes, ldcBytes);
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
