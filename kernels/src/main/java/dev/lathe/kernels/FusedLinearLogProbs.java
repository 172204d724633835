package dev.lathe.kernels;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.ops.LossOps;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Per-token log p(target) (and optionally entropy) of a linear LM head, streamed over row chunks so the
 * {@code [N, V]} logits never exist: the primitive under masked cross-entropy, DPO and PPO.
 *
 * <pre>
 * h : [N, D] float32     w : [V, D] float32 (the LM head; GPT-2's tied wte)     targets : int32 [N]
 * logp[i]    = log softmax(h[i] @ wᵀ)[targets[i]]      (0 where targets[i] == -100)
 * entropy[i] = −Σ_v p[i, v] log p[i, v]                 (0 where targets[i] == -100)
 * </pre>
 *
 * Two autograd functions:
 * <ul>
 *   <li>{@link #forward}: saves only lse[N] (and Σ p·logit[N] for the entropy); backward streams again,
 *       recomputing each chunk's logits, for any upstream dlogp / dentropy.</li>
 *   <li>{@link #forwardBackward}: when the objective is Σ weights[i]·logp[i] with weights known up front (SFT's
 *       masked mean; DPO / PPO once their per-token weights are computed), one pass yields logp and the
 *       gradients dh, dw (llm.c's fused classifier); backward only scales them by the upstream scalar.</li>
 * </ul>
 * A chunk is as many rows as fit {@code chunkBytes} of float32 logits ({@link #DEFAULT_CHUNK_BYTES}: 64 MiB,
 * 333 rows of GPT-2's 50257-word vocabulary).
 *
 * <p>When h and w live on a device, so do the outputs and gradients ({@link DeviceFusedClassifier}); targets and
 * weights may then be host tensors (they are copied over, never read back).
 */
public final class FusedLinearLogProbs {
    /** Default logits budget per chunk. */
    public static final long DEFAULT_CHUNK_BYTES = 64L << 20;

    /** logp [N]; entropy [N], or null when not requested. Both differentiable. */
    public record LogProbs(Tensor logp, Tensor entropy) {}

    /** objective = Σ weights·logp (a scalar, differentiable w.r.t. h and w); logp [N] without history. */
    public record WeightedLogProbs(Tensor objective, Tensor logp) {}

    private FusedLinearLogProbs() {}

    public static LogProbs forward(Tensor h, Tensor w, Tensor targets, boolean withEntropy) {
        return forward(h, w, targets, withEntropy, DEFAULT_CHUNK_BYTES);
    }

    /** Per-token log-probs (and entropy) with a two-pass backward. */
    public static LogProbs forward(Tensor h, Tensor w, Tensor targets, boolean withEntropy, long chunkBytes) {
        Shape s = Shape.of(h, w, targets, chunkBytes);
        if (s.device != Device.CPU) return forwardOnDevice(s, h, w, targets, withEntropy, chunkBytes);
        Tensor hc = h.contiguous(), wc = w.contiguous();
        int[] counted = CpuFusedClassifier.countedRows(s.n, s.v, targets.segment(), LossOps.IGNORE_INDEX);
        // One output holds logp (row 0) and entropy (row 1) so a single node back-propagates both at once.
        Tensor out = Tensor.zeros(withEntropy ? 2 : 1, s.n);
        Tensor lse = Tensor.empty(s.n), expected = withEntropy ? Tensor.empty(s.n) : null;
        MemorySegment logp = row(out, 0, s.n);
        CpuFusedClassifier.forward(s.d, s.v, hc.segment(), wc.segment(), targets.segment(), counted, chunkBytes,
                logp, lse.segment(), withEntropy ? expected.segment() : null);
        if (withEntropy) {
            MemorySegment ent = row(out, 1, s.n), l = lse.segment(), e = expected.segment();
            for (int i : counted) ent.setAtIndex(LogitRows.FLOAT, i, l.getAtIndex(LogitRows.FLOAT, i) - e.getAtIndex(LogitRows.FLOAT, i));
        }
        Node.record(out, "fusedLinearLogProbs", (g, needs) -> {
            Tensor gc = g.contiguous();
            Tensor dh = needs[0] ? Tensor.empty(s.n, s.d) : null, dw = needs[1] ? Tensor.empty(s.v, s.d) : null;
            CpuFusedClassifier.backward(s.d, s.v, hc.segment(), wc.segment(), targets.segment(), counted, chunkBytes,
                    lse.segment(), withEntropy ? expected.segment() : null, row(gc, 0, s.n),
                    withEntropy ? row(gc, 1, s.n) : null, dh == null ? null : dh.segment(),
                    dw == null ? null : dw.segment());
            return new Tensor[] {dh, dw, null};
        }, h, w, targets);
        if (!withEntropy) return new LogProbs(out.view(s.n), null);
        return new LogProbs(out.slice(0, 1).view(s.n), out.slice(1, 2).view(s.n));
    }

    public static WeightedLogProbs forwardBackward(Tensor h, Tensor w, Tensor targets, Tensor weights) {
        return forwardBackward(h, w, targets, weights, DEFAULT_CHUNK_BYTES);
    }

    /**
     * One streaming pass: logp [N] and the objective Σ weights[i]·logp[i] (weights float32 [N], ignored rows'
     * weights unused), with dh and dw computed on the way when grad mode is on and h or w requires grad.
     */
    public static WeightedLogProbs forwardBackward(Tensor h, Tensor w, Tensor targets, Tensor weights, long chunkBytes) {
        Shape s = Shape.of(h, w, targets, chunkBytes);
        if (weights.dtype() != DType.F32 || weights.rank() != 1 || weights.dim(0) != s.n) {
            throw new IllegalArgumentException("weights must be float32 [" + s.n + "], got " + weights);
        }
        if (s.device != Device.CPU) return forwardBackwardOnDevice(s, h, w, targets, weights, chunkBytes);
        Tensor hc = h.contiguous(), wc = w.contiguous();
        int[] counted = CpuFusedClassifier.countedRows(s.n, s.v, targets.segment(), LossOps.IGNORE_INDEX);
        boolean recording = GradMode.isEnabled();
        Tensor dh = recording && h.requiresGrad() ? Tensor.empty(s.n, s.d) : null;
        Tensor dw = recording && w.requiresGrad() ? Tensor.empty(s.v, s.d) : null;
        Tensor logp = Tensor.empty(s.n);
        double objective = CpuFusedClassifier.forwardBackward(s.d, s.v, hc.segment(), wc.segment(), targets.segment(),
                counted, chunkBytes, weights.contiguous().segment(), logp.segment(),
                dh == null ? null : dh.segment(), dw == null ? null : dw.segment());
        Tensor out = Tensor.scalar((float) objective);
        Node.record(out, "fusedLinearLogProbsWeighted", (g, needs) -> {
            float scale = g.item();
            return new Tensor[] {scaled(dh, scale), scaled(dw, scale), null};
        }, h, w, targets);
        return new WeightedLogProbs(out, logp);
    }

    /** {@link #forward} for h and w on a device: the same outputs and node, computed there. */
    private static LogProbs forwardOnDevice(Shape s, Tensor h, Tensor w, Tensor targets, boolean withEntropy,
                                            long chunkBytes) {
        var classifier = new DeviceFusedClassifier(DeviceMath.on(s.device, h), DeviceMath.on(s.device, w),
                DeviceMath.on(s.device, targets), chunkBytes);
        Tensor out = Tensor.zeros(s.device, DType.F32, withEntropy ? 2 : 1, s.n);
        Tensor lse = DeviceMath.empty(s.device, s.n);
        Tensor expected = withEntropy ? DeviceMath.empty(s.device, s.n) : null;
        Tensor counted = withEntropy ? DeviceMath.empty(s.device, s.n) : null;
        try (Scope views = Scope.open()) {
            classifier.forward(out.slice(0, 1).view(s.n), lse, withEntropy ? out.slice(1, 2).view(s.n) : null,
                    expected, counted);
        }
        Node.record(out, "fusedLinearLogProbs", (g, needs) -> {
            Tensor dh = needs[0] ? DeviceMath.empty(s.device, s.n, s.d) : null;
            Tensor dw = needs[1] ? DeviceMath.empty(s.device, s.v, s.d) : null;
            try (Scope views = Scope.open()) {
                Tensor gd = DeviceMath.on(s.device, g.contiguous());
                classifier.backward(lse, expected, counted, gd.slice(0, 1).view(s.n),
                        withEntropy ? gd.slice(1, 2).view(s.n) : null, dh, dw);
            }
            return new Tensor[] {dh, dw, null};
        }, h, w, targets);
        if (!withEntropy) return new LogProbs(out.view(s.n), null);
        return new LogProbs(out.slice(0, 1).view(s.n), out.slice(1, 2).view(s.n));
    }

    /** {@link #forwardBackward} for h and w on a device: the objective stays there (never read back). */
    private static WeightedLogProbs forwardBackwardOnDevice(Shape s, Tensor h, Tensor w, Tensor targets,
                                                            Tensor weights, long chunkBytes) {
        var classifier = new DeviceFusedClassifier(DeviceMath.on(s.device, h), DeviceMath.on(s.device, w),
                DeviceMath.on(s.device, targets), chunkBytes);
        boolean recording = GradMode.isEnabled();
        Tensor dh = recording && h.requiresGrad() ? DeviceMath.empty(s.device, s.n, s.d) : null;
        Tensor dw = recording && w.requiresGrad() ? DeviceMath.empty(s.device, s.v, s.d) : null;
        Tensor logp = DeviceMath.empty(s.device, s.n);
        Tensor out = classifier.forwardBackward(DeviceMath.on(s.device, weights), logp, dh, dw);
        Node.record(out, "fusedLinearLogProbsWeighted", (g, needs) ->
                new Tensor[] {DeviceMath.timesUpstream(dh, g), DeviceMath.timesUpstream(dw, g), null}, h, w, targets);
        return new WeightedLogProbs(out, logp);
    }

    /** The precomputed gradient times the upstream scalar; the tensor itself when that is 1 (the usual case). */
    private static Tensor scaled(Tensor grad, float scale) {
        if (grad == null || scale == 1f) return grad;
        Tensor out = Tensor.empty(grad.shape());
        MemorySegment src = grad.segment(), dst = out.segment();
        for (long i = 0; i < grad.numel(); i++) dst.setAtIndex(LogitRows.FLOAT, i, src.getAtIndex(LogitRows.FLOAT, i) * scale);
        return out;
    }

    /** Row r of a contiguous [rows, n] float32 tensor's memory. */
    private static MemorySegment row(Tensor t, int r, int n) {
        return t.segment().asSlice((long) r * n * Float.BYTES, (long) n * Float.BYTES);
    }

    /** Checked sizes: N rows, D hidden, V vocabulary; the device of h and w. */
    private record Shape(int n, int d, int v, Device device) {
        static Shape of(Tensor h, Tensor w, Tensor targets, long chunkBytes) {
            if (h.rank() != 2 || w.rank() != 2 || h.dim(1) != w.dim(1)) {
                throw new IllegalArgumentException("expected h [N, D] and w [V, D], got " + h + " and " + w);
            }
            if (h.dtype() != DType.F32 || w.dtype() != DType.F32) {
                throw new IllegalArgumentException("h and w must be float32, got " + h + " and " + w);
            }
            if (targets.dtype() != DType.I32 || !Arrays.equals(targets.shape(), new int[] {h.dim(0)})) {
                throw new IllegalArgumentException("targets must be int32 [" + h.dim(0) + "], got " + targets);
            }
            if (chunkBytes <= 0) throw new IllegalArgumentException("chunkBytes must be positive, got " + chunkBytes);
            if (h.device() != w.device()) {
                throw new IllegalArgumentException("h and w must be on one device, got " + h.device() + " and " + w.device());
            }
            return new Shape(h.dim(0), h.dim(1), w.dim(0), h.device());
        }
    }
}
