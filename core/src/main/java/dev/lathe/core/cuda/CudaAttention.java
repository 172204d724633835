package dev.lathe.core.cuda;

import static dev.lathe.core.cuda.CudaChecks.contiguous;
import static dev.lathe.core.cuda.CudaChecks.f32;
import static dev.lathe.core.cuda.CudaChecks.ids;
import static dev.lathe.core.cuda.CudaChecks.sameShape;
import static dev.lathe.core.cuda.CudaChecks.writable;
import static dev.lathe.core.cuda.CudaGrid.ceilDiv;
import static dev.lathe.core.cuda.CudaGrid.yz;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.backend.DropoutMask;

/**
 * Causal attention on the GPU with the fused kernels of attention.cu: forward (out and the row log-sum-exp),
 * backward (Δ = rowsum(dout·out), then dq and dk/dv in separate kernels) and decode against a KV cache. Packed
 * documents become per-token start positions in a scratch buffer first; dropout passes its threshold and key.
 */
final class CudaAttention {
    /** Largest head dimension the kernels hold in registers (4 values a lane). */
    static final int MAX_HEAD_DIM = 128;
    private static final int QUERY_ROWS = 4, THREADS = 128; // rows (warps) a block, its threads

    private final CudaBackend backend;

    CudaAttention(CudaBackend backend) {
        this.backend = backend;
    }

    void forward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents, Tensor out, Tensor lse) {
        check(s, q, k, v, keyMask, documents);
        f32(out, lse);
        writable(out);
        if (out.numel() != (long) s.batch() * s.seqLen() * s.heads() * s.headDim()
                || lse.numel() != (long) s.batch() * s.heads() * s.seqLen()) {
            throw new IllegalArgumentException("attention outputs " + out + ", " + lse + " do not fit " + s);
        }
        try (ScratchSet scratch = new ScratchSet(backend)) {
            Long docStart = docStarts(scratch, s, documents);
            backend.launch(CoreKernels.ATTENTION_FORWARD, ceilDiv(s.seqLen(), QUERY_ROWS), s.heads(), s.batch(),
                    THREADS, 1, 1, q, k, v, keyMask, docStart, out, lse, s.batch(), s.seqLen(), s.heads(), s.kvHeads(),
                    s.headDim(), s.scale(), q.dim(-1), s.qCol(), k.dim(-1), s.kCol(), v.dim(-1), s.vCol(),
                    s.dropoutSeed(), DropoutMask.threshold(s.dropout()), DropoutMask.keptScale(s.dropout()));
        }
    }

    void backward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents, Tensor out,
                  Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        check(s, q, k, v, keyMask, documents);
        f32(out, lse, dout, dq, dk, dv);
        contiguous(out, lse, dout, dq, dk, dv);
        sameShape(q, dq);
        sameShape(k, dk);
        sameShape(v, dv);
        sameShape(out, dout);
        int B = s.batch(), T = s.seqLen(), H = s.heads();
        long seed = s.dropoutSeed(), threshold = DropoutMask.threshold(s.dropout());
        float kept = DropoutMask.keptScale(s.dropout());
        try (ScratchSet scratch = new ScratchSet(backend)) {
            Long docStart = docStarts(scratch, s, documents);
            long delta = scratch.take((long) B * H * T * Float.BYTES);
            backend.launch(CoreKernels.ATTENTION_BACKWARD_DELTA, ceilDiv((long) B * T * H, 8), 1, 1, 256, 1, 1,
                    out, dout, delta, B, T, H, s.headDim());
            backend.launch(CoreKernels.ATTENTION_BACKWARD_DQ, ceilDiv(T, QUERY_ROWS), H, B, THREADS, 1, 1,
                    q, k, v, keyMask, docStart, lse, delta, dout, dq, B, T, H, s.kvHeads(), s.headDim(), s.scale(),
                    q.dim(-1), s.qCol(), k.dim(-1), s.kCol(), v.dim(-1), s.vCol(), seed, threshold, kept);
            backend.launch(CoreKernels.ATTENTION_BACKWARD_DKDV, ceilDiv(T, QUERY_ROWS), s.kvHeads(), B, THREADS, 1, 1,
                    q, k, v, keyMask, docStart, lse, delta, dout, dk, dv, B, T, H, s.kvHeads(), s.headDim(), s.scale(),
                    q.dim(-1), s.qCol(), k.dim(-1), s.kCol(), v.dim(-1), s.vCol(), seed, threshold, kept);
        }
    }

    void decode(AttentionSpec s, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache, Tensor keyMask, Tensor out) {
        f32(q, kCache, vCache, out);
        contiguous(q, kCache, vCache);
        writable(out);
        checkHeads(s);
        int B = s.batch(), Tq = s.seqLen();
        if (Tq > len || len > maxLen) {
            throw new IllegalArgumentException("decode attention needs Tq <= len <= maxLen, got " + Tq + ", " + len + ", " + maxLen);
        }
        if (q.numel() != (long) B * Tq * q.dim(-1)
                || kCache.numel() != (long) B * maxLen * kCache.dim(-1)
                || vCache.numel() != (long) B * maxLen * vCache.dim(-1)) {
            throw new IllegalArgumentException("decode attention: q " + q + " is not [B, Tq, width] or caches " + kCache
                    + ", " + vCache + " are not [B, " + maxLen + ", width] for " + s);
        }
        if (s.qCol() + s.heads() * s.headDim() > q.dim(-1)
                || s.kCol() + s.kvHeads() * s.headDim() > kCache.dim(-1)
                || s.vCol() + s.kvHeads() * s.headDim() > vCache.dim(-1)) {
            throw new IllegalArgumentException("decode attention heads overrun their rows: " + s);
        }
        if (out.numel() != (long) B * Tq * s.heads() * s.headDim()) {
            throw new IllegalArgumentException("decode attention output " + out + " does not fit " + s);
        }
        if (keyMask != null) {
            ids(keyMask);
            if (keyMask.numel() != (long) B * maxLen) {
                throw new IllegalArgumentException("key mask " + keyMask + " is not [B, " + maxLen + "] for " + s);
            }
        }
        backend.launch(CoreKernels.ATTENTION_DECODE, s.heads(), yz(Tq, "query positions"), yz(B, "batch"), 32, 1, 1,
                q, kCache, vCache, keyMask, out, Tq, len, maxLen, s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                q.dim(-1), s.qCol(), kCache.dim(-1), s.kCol(), vCache.dim(-1), s.vCol());
    }

    /** The start of each token's document, int [B, T] in scratch, or null (as a 0 pointer) without documents. */
    private Long docStarts(ScratchSet scratch, AttentionSpec s, Tensor documents) {
        if (documents == null) return 0L;
        long starts = scratch.take((long) s.batch() * s.seqLen() * Integer.BYTES);
        backend.launch(CoreKernels.ATTENTION_DOC_STARTS, ceilDiv(s.batch(), 128), 1, 1, 128, 1, 1, documents, starts,
                s.batch(), s.seqLen());
        return starts;
    }

    private static void checkHeads(AttentionSpec s) {
        if (s.headDim() > MAX_HEAD_DIM) {
            throw new IllegalArgumentException("cuda attention supports head dim <= " + MAX_HEAD_DIM + ", got " + s.headDim());
        }
        if (s.kvHeads() <= 0 || s.heads() % s.kvHeads() != 0) {
            throw new IllegalArgumentException("heads " + s.heads() + " must be a multiple of kv heads " + s.kvHeads());
        }
        yz(s.heads(), "heads");
        yz(s.batch(), "batch");
    }

    private static void check(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents) {
        f32(q, k, v);
        contiguous(q, k, v);
        checkHeads(s);
        long rows = (long) s.batch() * s.seqLen();
        for (Tensor t : new Tensor[] {q, k, v}) {
            if (t.numel() != rows * t.dim(-1)) throw new IllegalArgumentException("attention input " + t + " is not [B*T, width] for " + s);
        }
        if (s.qCol() + s.heads() * s.headDim() > q.dim(-1)
                || s.kCol() + s.kvHeads() * s.headDim() > k.dim(-1)
                || s.vCol() + s.kvHeads() * s.headDim() > v.dim(-1)) {
            throw new IllegalArgumentException("attention heads overrun their rows: " + s);
        }
        if (keyMask != null) {
            ids(keyMask);
            if (keyMask.numel() != rows) throw new IllegalArgumentException("key mask " + keyMask + " is not [B, T] for " + s);
        }
        if (documents != null) {
            ids(documents);
            if (documents.numel() != rows) throw new IllegalArgumentException("documents " + documents + " are not [B, T] for " + s);
        }
    }
}
