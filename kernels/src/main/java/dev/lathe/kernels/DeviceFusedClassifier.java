package dev.lathe.kernels;

import static dev.lathe.kernels.GpuKernels.BLOCK;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.cuda.CudaLaunch;
import dev.lathe.core.ops.LossOps;

/**
 * Fused linear log-probs on a device (what {@link CpuFusedClassifier} does on the host): per chunk of rows of h,
 * logits[rows, V] = h_rows @ wᵀ into a reused buffer, then the row pieces, then dh_rows = dlogits @ w and
 * dw += dlogitsᵀ @ h_rows. Every row enters a chunk, ignored ones included — leaving them out needs the targets
 * on the host, a read back that would stall the device; their outputs are 0 and they give no gradient.
 *
 * <p>The row pieces: on a real GPU, {@code fused_classifier.cu} (two launches a chunk); elsewhere the Backend
 * SPI's kernels:
 * <pre>
 * logp     = −crossEntropy(logits, targets)           lse from the same kernel (0 loss where ignored)
 * expected = rowSum(softmax(logits) ∘ logits)         entropy = (lse − expected)·counted
 * counted  = crossEntropy(0, targets) / lse(0)        exactly 1 or 0: an all-zero row's loss is its lse, log V
 * dlogits  = crossEntropyBackward(dlosses = −dlogp) − (dent·counted)[row] ∘ softmaxBackward(p, logits)
 *            (softmaxBackward(p, x) = p·(x − Σ p·x), so the second term is dent·p·(expected − x))
 * </pre>
 * Scratch: two to four [chunk rows, V] float buffers, chunk rows = chunkBytes / (4·V) (at least 1).
 */
final class DeviceFusedClassifier {
    private static final int IGNORE = LossOps.IGNORE_INDEX;

    private final Tensor h, w, targets;
    private final int n, v, chunk;
    private final boolean gpu;
    private final Backend be;

    /** h [N, D], w [V, D] float32 and targets int32 [N], all row-major on one device. */
    DeviceFusedClassifier(Tensor h, Tensor w, Tensor targets, long chunkBytes) {
        this.h = h;
        this.w = w;
        this.targets = targets;
        this.n = h.dim(0);
        this.v = w.dim(0);
        this.gpu = GpuKernels.active(h);
        this.be = Backends.of(h);
        long rows = Math.max(1, Math.min(chunkBytes / ((long) v * Float.BYTES), n));
        this.chunk = (int) (gpu ? Math.min(rows, GpuKernels.MAX_GRID_Y) : rows);
    }

    /**
     * logp [N] and lse [N]; with entropy [N] also expected [N] and, off the GPU, counted [N] (1 where the target
     * is counted) — lse, expected and counted are what {@link #backward} needs.
     */
    void forward(Tensor logp, Tensor lse, Tensor entropy, Tensor expected, Tensor counted) {
        try (Scope tmp = Scope.open(); GradMode off = GradMode.off()) { // views of h record no history
            Tensor wT = w.t();
            Tensor logits = buffer(), scratch = entropy != null && !gpu ? buffer() : null;
            Tensor losses = gpu ? null : DeviceMath.empty(h.device(), chunk);
            Tensor zeroLse = scratch == null ? null : DeviceMath.empty(h.device(), chunk);
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int rows = Math.min(chunk, n - r0), r1 = r0 + rows;
                Tensor x = logits.slice(0, rows), t = targets.slice(r0, r1);
                be.matmul(h.slice(r0, r1), wT, x, 1f, 0f);
                if (gpu) {
                    CudaLaunch.launch(GpuKernels.ROW_STATS, rows, 1, 1, BLOCK, 1, 1, x, t, logp.slice(r0, r1),
                            lse.slice(r0, r1), expected == null ? null : expected.slice(r0, r1), rows, v, IGNORE);
                    continue;
                }
                Tensor l = losses.slice(0, rows);
                be.crossEntropyForward(x, t, IGNORE, l, lse.slice(r0, r1));
                be.scale(l, -1f, logp.slice(r0, r1));
                if (entropy == null) continue;
                Tensor p = scratch.slice(0, rows);
                be.softmaxForward(x, p);
                be.binary(BinaryOp.MUL, p, x, p);
                be.rowSum(p, expected.slice(r0, r1));
                if (v == 1) { // one class: entropy is 0 whatever the mask, and log V = 0 cannot divide
                    be.fill(counted.slice(r0, r1), 1f);
                    continue;
                }
                be.zero(p);
                Tensor z = zeroLse.slice(0, rows);
                be.crossEntropyForward(p, t, IGNORE, l, z);
                be.binary(BinaryOp.DIV, l, z, counted.slice(r0, r1));
            }
            if (entropy != null) {
                be.binary(BinaryOp.SUB, lse, expected, entropy);
                if (!gpu) be.binary(BinaryOp.MUL, entropy, counted, entropy);
            }
        }
    }

    /**
     * dh [N, D] (null: not needed) and dw [V, D] (null: not needed), overwritten, for the upstream dlogp [N]
     * and dent [N] (null: no entropy gradient), from {@link #forward}'s saved lse, expected and counted.
     */
    void backward(Tensor lse, Tensor expected, Tensor counted, Tensor dlogp, Tensor dent, Tensor dh, Tensor dw) {
        try (Scope tmp = Scope.open(); GradMode off = GradMode.off()) { // views of h record no history
            Tensor logits = buffer(), dlogits = gpu ? logits : buffer();
            Tensor negDlogp = gpu ? null : DeviceMath.scale(dlogp, -1);
            boolean entropyGrad = dent != null && !gpu;
            // −dent·counted per row, and the [rows, V] buffers its broadcast and p·(x − Σ p·x) take.
            Tensor rowWeight = entropyGrad ? DeviceMath.scale(DeviceMath.mul(dent, counted), -1) : null;
            Tensor broadcast = entropyGrad ? buffer() : null, spread = entropyGrad ? buffer() : null;
            Tensor ones = entropyGrad ? DeviceMath.full(h.device(), 1f, 1, v) : null;
            Tensor wT = w.t();
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int rows = Math.min(chunk, n - r0), r1 = r0 + rows;
                Tensor x = logits.slice(0, rows), t = targets.slice(r0, r1), g = dlogits.slice(0, rows);
                be.matmul(h.slice(r0, r1), wT, x, 1f, 0f);
                if (gpu) {
                    CudaLaunch.launch(GpuKernels.DLOGITS, blocks(v), rows, 1, BLOCK, 1, 1, x, t, lse.slice(r0, r1),
                            dent == null ? null : expected.slice(r0, r1), dlogp.slice(r0, r1),
                            dent == null ? null : dent.slice(r0, r1), rows, v, IGNORE);
                } else {
                    be.crossEntropyBackward(x, t, IGNORE, lse.slice(r0, r1), negDlogp.slice(r0, r1), g);
                    if (entropyGrad) {
                        Tensor p = broadcast.slice(0, rows), q = spread.slice(0, rows);
                        be.softmaxForward(x, p);
                        be.softmaxBackward(p, x, q);
                        be.matmul(rowWeight.slice(r0, r1).view(rows, 1), ones, p, 1f, 0f);
                        be.binary(BinaryOp.MUL, q, p, q);
                        be.binary(BinaryOp.ADD, g, q, g);
                    }
                }
                gemms(g, r0, r1, dh, dw);
            }
            if (n == 0 && dw != null) be.zero(dw);
        }
    }

    /**
     * llm.c's single pass for the objective Σ weights·logp: logp [N] (overwritten) and, when given, its
     * gradients dh, dw. Returns the objective as a one-element tensor on the device.
     */
    Tensor forwardBackward(Tensor weights, Tensor logp, Tensor dh, Tensor dw) {
        boolean grads = dh != null || dw != null;
        Tensor objective = DeviceMath.empty(h.device());
        try (Scope tmp = Scope.open(); GradMode off = GradMode.off()) { // views of h record no history
            Tensor logits = buffer(), dlogits = gpu || !grads ? logits : buffer();
            Tensor lse = DeviceMath.empty(h.device(), chunk), losses = gpu ? null : DeviceMath.empty(h.device(), chunk);
            Tensor negWeights = gpu ? null : DeviceMath.scale(weights, -1);
            Tensor wT = w.t();
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int rows = Math.min(chunk, n - r0), r1 = r0 + rows;
                Tensor x = logits.slice(0, rows), t = targets.slice(r0, r1), l = lse.slice(0, rows);
                be.matmul(h.slice(r0, r1), wT, x, 1f, 0f);
                if (gpu) {
                    CudaLaunch.launch(GpuKernels.ROW_STATS, rows, 1, 1, BLOCK, 1, 1, x, t, logp.slice(r0, r1), l, null,
                            rows, v, IGNORE);
                    if (grads) {
                        CudaLaunch.launch(GpuKernels.DLOGITS, blocks(v), rows, 1, BLOCK, 1, 1, x, t, l, null,
                                weights.slice(r0, r1), null, rows, v, IGNORE);
                    }
                } else {
                    Tensor loss = losses.slice(0, rows);
                    be.crossEntropyForward(x, t, IGNORE, loss, l);
                    be.scale(loss, -1f, logp.slice(r0, r1));
                    if (grads) be.crossEntropyBackward(x, t, IGNORE, l, negWeights.slice(r0, r1), dlogits.slice(0, rows));
                }
                if (grads) gemms(dlogits.slice(0, rows), r0, r1, dh, dw);
            }
            if (n == 0 && dw != null) be.zero(dw);
            be.copy(DeviceMath.total(DeviceMath.mul(weights, logp)), objective);
        }
        return objective;
    }

    /** dh rows [r0, r1) = dlogits @ w; dw (+)= dlogitsᵀ @ h_rows (overwritten by the first chunk). */
    private void gemms(Tensor dlogits, int r0, int r1, Tensor dh, Tensor dw) {
        if (dh != null) be.matmul(dlogits, w, dh.slice(r0, r1), 1f, 0f);
        if (dw != null) be.matmul(dlogits.t(), h.slice(r0, r1), dw, 1f, r0 == 0 ? 0f : 1f);
    }

    /** A [chunk, V] float buffer (owned by the open scope). */
    private Tensor buffer() {
        return DeviceMath.empty(h.device(), chunk, v);
    }

    private static int blocks(int v) {
        return (v + BLOCK - 1) / BLOCK;
    }
}
