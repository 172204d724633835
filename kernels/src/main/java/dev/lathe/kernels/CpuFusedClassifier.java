package dev.lathe.kernels;

import static dev.lathe.kernels.LogitRows.F;
import static dev.lathe.kernels.LogitRows.FLOAT;

import dev.lathe.core.cpu.CpuGemm;
import dev.lathe.core.cpu.CpuParallel;
import dev.lathe.core.cpu.CpuRowStats;
import dev.lathe.core.memory.HostAllocator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CPU side of fused linear log-probs (the Java counterpart of {@code fused_classifier.cu}): log p(target)
 * of a linear classifier without ever holding the full logits.
 *
 * <pre>
 * h : [N, D]    w : [V, D] (the LM head / tied wte)    targets : int32 [N], ignoreIndex = skipped row
 * per chunk of counted rows:  logits[rows, V] = h_rows @ wᵀ          (one GEMM, transB)
 *                             lse = log Σ exp(logits), logp = logits[target] − lse, expected = Σ p·logits
 *                             dlogits = dlogp·(onehot − p) + dent·p·(expected − logits)   (in place)
 *                             dh_rows = dlogits @ w,   dw += dlogitsᵀ @ h_rows            (two GEMMs)
 * </pre>
 * Rows whose target is the ignore index are skipped entirely: they cost no GEMM, their outputs are 0 and they
 * get no gradient. A chunk holds as many counted rows as fit {@code chunkBytes} of float32 logits (at least
 * one), gathered into a contiguous block, so the scratch is chunk·(V + 2D) floats whatever N is.
 */
final class CpuFusedClassifier {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    /** Logit elements a pool task should own before splitting rows pays (a row of 50257 is one task). */
    private static final int MIN_TASK_ELEMS = 32 * 1024;

    private CpuFusedClassifier() {}

    /** What happens to one row of a logits chunk once it is computed. */
    @FunctionalInterface
    interface RowBody {
        /** {@code logits} row of global index {@code i} starts at byte {@code row}; may rewrite it into dlogits. */
        void apply(MemorySegment logits, long row, int i);
    }

    /** Indices of the rows whose target is counted; throws on a target outside [0, V). */
    static int[] countedRows(int N, int V, MemorySegment targets, int ignoreIndex) {
        int[] rows = new int[N];
        int n = 0;
        for (int i = 0; i < N; i++) {
            int t = targets.getAtIndex(INT, i);
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= V) {
                throw new IllegalArgumentException("target at row " + i + " is " + t + ", outside [0, " + V
                        + ") and not the ignore index " + ignoreIndex);
            }
            rows[n++] = i;
        }
        return java.util.Arrays.copyOf(rows, n);
    }

    /** Rows of float32 logits that fit {@code chunkBytes} (at least 1, at most {@code counted}). */
    static int chunkRows(long chunkBytes, int V, int counted) {
        long rows = chunkBytes / ((long) V * Float.BYTES);
        return (int) Math.max(1, Math.min(rows, Math.max(1, counted)));
    }

    /**
     * Streams over the counted rows: per chunk, logits = h_rows @ wᵀ, then {@code body} on every row (in
     * parallel), then — when {@code dh} / {@code dw} are given — the body is taken to have left dlogits in
     * place and dh_rows = dlogits @ w is scattered into dh, dw (= Σ dlogitsᵀ @ h_rows) accumulated.
     * dh rows of skipped targets are zeroed; dw is overwritten.
     */
    static void stream(int D, int V, MemorySegment h, MemorySegment w, int[] counted, long chunkBytes,
                       RowBody body, MemorySegment dh, MemorySegment dw) {
        if (dh != null) dh.fill((byte) 0);
        if (counted.length == 0) {
            if (dw != null) dw.fill((byte) 0);
            return;
        }
        int chunk = chunkRows(chunkBytes, V, counted.length);
        long rowBytes = (long) D * F;
        MemorySegment hc = HostAllocator.allocate(chunk * rowBytes);
        MemorySegment logits = HostAllocator.allocate((long) chunk * V * F);
        MemorySegment dhc = dh != null ? HostAllocator.allocate(chunk * rowBytes) : null;
        try {
            for (int c0 = 0; c0 < counted.length; c0 += chunk) {
                int rows = Math.min(chunk, counted.length - c0), base = c0;
                for (int r = 0; r < rows; r++) MemorySegment.copy(h, counted[base + r] * rowBytes, hc, r * rowBytes, rowBytes);
                // logits[rows, V] = hc[rows, D] @ w[V, D]ᵀ
                CpuGemm.sgemm(false, true, rows, V, D, 1f, hc, D, w, D, 0f, logits, V);
                CpuParallel.forRange(rows, Math.max(1, MIN_TASK_ELEMS / V), (r0, r1) -> {
                    for (int r = r0; r < r1; r++) body.apply(logits, (long) r * V * F, counted[base + r]);
                });
                if (dh != null) {
                    // dhc[rows, D] = dlogits[rows, V] @ w[V, D], scattered to the rows' places in dh.
                    CpuGemm.sgemm(false, false, rows, D, V, 1f, logits, V, w, D, 0f, dhc, D);
                    for (int r = 0; r < rows; r++) MemorySegment.copy(dhc, r * rowBytes, dh, counted[base + r] * rowBytes, rowBytes);
                }
                if (dw != null) {
                    // dw[V, D] (+)= dlogits[rows, V]ᵀ @ hc[rows, D]
                    CpuGemm.sgemm(true, false, V, D, rows, 1f, logits, V, hc, D, c0 == 0 ? 0f : 1f, dw, D);
                }
            }
        } finally {
            HostAllocator.free(hc);
            HostAllocator.free(logits);
            if (dhc != null) HostAllocator.free(dhc);
        }
    }

    /**
     * Forward: logp[N] and lse[N] (and expected[N] = Σ p·logit when non-null; entropy = lse − expected) for
     * counted rows; skipped rows get 0.
     */
    static void forward(int D, int V, MemorySegment h, MemorySegment w, MemorySegment targets, int[] counted,
                        long chunkBytes, MemorySegment logp, MemorySegment lse, MemorySegment expected) {
        logp.fill((byte) 0);
        lse.fill((byte) 0);
        if (expected != null) expected.fill((byte) 0);
        stream(D, V, h, w, counted, chunkBytes, (x, row, i) -> {
            double l = CpuRowStats.logSumExp(x, row, V);
            int t = targets.getAtIndex(INT, i);
            lse.setAtIndex(FLOAT, i, (float) l);
            logp.setAtIndex(FLOAT, i, (float) (x.get(FLOAT, row + t * F) - l));
            if (expected != null) expected.setAtIndex(FLOAT, i, (float) LogitRows.expectedLogit(x, row, V, l));
        }, null, null);
    }

    /**
     * Backward from saved lse (and expected, when the entropy got a gradient): recomputes each chunk's logits,
     * rewrites them into dlogits for the upstream dlogp[N] and dent[N] (null = no entropy gradient), and
     * produces dh (null = not needed) and dw (null = not needed).
     */
    static void backward(int D, int V, MemorySegment h, MemorySegment w, MemorySegment targets, int[] counted,
                         long chunkBytes, MemorySegment lse, MemorySegment expected, MemorySegment dlogp,
                         MemorySegment dent, MemorySegment dh, MemorySegment dw) {
        stream(D, V, h, w, counted, chunkBytes, (x, row, i) -> LogitRows.toGradient(x, row, V,
                targets.getAtIndex(INT, i), lse.getAtIndex(FLOAT, i), dlogp.getAtIndex(FLOAT, i),
                dent == null ? 0f : dent.getAtIndex(FLOAT, i),
                dent == null ? 0 : expected.getAtIndex(FLOAT, i)), dh, dw);
    }

    /**
     * llm.c's fused classifier: one pass giving logp[N] and the gradients dh, dw of Σ weights[i]·logp[i]
     * (dh / dw null when not needed). Returns that weighted sum, accumulated in float64.
     */
    static double forwardBackward(int D, int V, MemorySegment h, MemorySegment w, MemorySegment targets,
                                  int[] counted, long chunkBytes, MemorySegment weights, MemorySegment logp,
                                  MemorySegment dh, MemorySegment dw) {
        logp.fill((byte) 0);
        boolean grads = dh != null || dw != null;
        stream(D, V, h, w, counted, chunkBytes, (x, row, i) -> {
            double l = CpuRowStats.logSumExp(x, row, V);
            int t = targets.getAtIndex(INT, i);
            logp.setAtIndex(FLOAT, i, (float) (x.get(FLOAT, row + t * F) - l));
            if (grads) LogitRows.toGradient(x, row, V, t, l, weights.getAtIndex(FLOAT, i), 0f, 0);
        }, dh, dw);
        double objective = 0;
        for (int i : counted) objective += (double) weights.getAtIndex(FLOAT, i) * logp.getAtIndex(FLOAT, i);
        return objective;
    }
}
