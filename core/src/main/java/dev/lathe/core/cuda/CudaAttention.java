package dev.lathe.core.cuda;

import static dev.lathe.core.cuda.CudaChecks.onDevice;
import static dev.lathe.core.cuda.CudaGrid.ceilDiv;
import static dev.lathe.core.cuda.CudaGrid.yz;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.backend.BackendChecks;
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
        onDevice(q, k, v, keyMask, documents, out, lse);
        checkHeads(s);
        BackendChecks.attention(s, q, k, v, keyMask, documents);
        BackendChecks.attentionOutputs(s, out, lse);
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
        onDevice(q, k, v, keyMask, documents, out, lse, dout, dq, dk, dv);
        checkHeads(s);
        BackendChecks.attention(s, q, k, v, keyMask, documents);
        BackendChecks.attentionGradients(q, k, v, out, lse, dout, dq, dk, dv);
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
        onDevice(q, kCache, vCache, keyMask, out);
        checkHeads(s);
        BackendChecks.attentionDecode(s, len, maxLen, q, kCache, vCache, keyMask, out);
        int B = s.batch(), Tq = s.seqLen();
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

    /** What the kernels can hold and the grid can index; the rest is {@link BackendChecks}'. */
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
}
