package dev.lathe.core.backend;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.Storage;
import java.util.List;

/**
 * The primitive kernels every device implements. Arguments are tensors of this backend's device; outputs are
 * overwritten (never accumulated) unless a method says so; float tensors are F32 unless a method says so.
 * Autograd, modules and trainers are written once against this interface.
 */
public interface Backend {
    String name();

    Device device();

    /** One line for logs: what this backend runs on (vector width, threads, card). */
    String describe();

    /**
     * Waits until every operation issued so far has finished (a device runs them asynchronously; host reads of
     * results already wait). Benchmarks call it before reading the clock. The CPU runs synchronously.
     */
    default void synchronize() {}

    /** Memory for {@code bytes} bytes on this device, released when its last tensor is closed. */
    Storage allocate(long bytes);

    // ---- data movement

    /**
     * dst = src elementwise over the logical shape; src may be a transposed view; converts F32 to/from BF16/F16.
     * A device backend also moves data across the host boundary: one of src, dst may be a CPU tensor (then both
     * are row-major and of one dtype).
     */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor dst, float value);

    /** Sets every byte of dst (any dtype, row-major) to zero. */
    default void zero(Tensor dst) {
        fill(dst, 0f);
    }

    // ---- GEMM

    /**
     * c = alpha * a @ b + beta * c. a is [.., M, K], b is [.., K, N] (either may be a {@link Tensor#t()} view:
     * read as a transpose, never copied), c is [.., M, N] contiguous. Leading dims of a and c are batch dims;
     * b is either rank 2 (shared by every batch) or has the same batch dims.
     */
    void matmul(Tensor a, Tensor b, Tensor c, float alpha, float beta);

    // ---- element-wise and reductions

    /** out = a op b, with b repeated over a's trailing b.numel() elements (same shape, bias row, or scalar). */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    void unary(UnaryOp op, Tensor x, Tensor out);

    /** out = alpha * x. */
    void scale(Tensor x, float alpha, Tensor out);

    /** out = x + s. */
    void addScalar(Tensor x, float s, Tensor out);

    /** Inverted dropout: out = x / (1 − p) where {@link DropoutMask#keep} keeps the element, else 0. */
    void dropout(Tensor x, float p, long seed, Tensor out);

    /** y += alpha * x (accumulates). */
    void axpy(float alpha, Tensor x, Tensor y);

    /** Sum of all elements, accumulated in float64. */
    double sum(Tensor x);

    /** Sum of squares of all elements, accumulated in float64. */
    double sumSquares(Tensor x);

    /** x viewed as [rows, C] with C = out.numel(): out[c] = sum over rows. */
    void sumRows(Tensor x, Tensor out);

    /** x viewed as [rows, C] with rows = out.numel(): out[r] = sum over the row. */
    void rowSum(Tensor x, Tensor out);

    // ---- normalisation and activations (rows = all leading dims, C = last dim)

    void softmaxForward(Tensor x, Tensor out);

    void softmaxBackward(Tensor out, Tensor dout, Tensor dx);

    /** mean and rstd are [rows], saved for backward; beta may be null. */
    void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor out, Tensor mean, Tensor rstd);

    /** dbeta may be null. */
    void layerNormBackward(Tensor dout, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                           Tensor dx, Tensor dgamma, Tensor dbeta);

    void rmsNormForward(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd);

    void rmsNormBackward(Tensor dout, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dweight);

    /** GELU, tanh approximation (GPT-2's gelu_new). */
    void geluForward(Tensor x, Tensor out);

    void geluBackward(Tensor x, Tensor dout, Tensor dx);

    /**
     * out = gelu(x + bias), bias [C] repeated over the rows of x [.., C]: a Linear's bias and GPT-2's MLP GELU in
     * one pass (this default runs the add, then the GELU in place).
     */
    default void biasGeluForward(Tensor x, Tensor bias, Tensor out) {
        binary(BinaryOp.ADD, x, bias, out);
        geluForward(out, out);
    }

    /** dx = dout · gelu'(x + bias): the gradient of the sum x + bias (the bias's is dx's column sum). */
    default void biasGeluBackward(Tensor x, Tensor bias, Tensor dout, Tensor dx) {
        binary(BinaryOp.ADD, x, bias, dx);
        geluBackward(dx, dout, dx);
    }

    void siluForward(Tensor x, Tensor out);

    void siluBackward(Tensor x, Tensor dout, Tensor dx);

    /**
     * Rotary position embedding, rotate-half convention: x, out [rows, heads·D], cos and sin [rows, D/2] (each
     * row's angles); {@code inverse} rotates by the negated angles (the backward).
     */
    void rotary(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out);

    // ---- embedding, attention, loss

    /** ids I32 [N] (any shape), table [V, C], out [N, C]. */
    void embeddingForward(Tensor ids, Tensor table, Tensor out);

    /**
     * dtable [V, C] = scatter-add of dout rows at ids, or with accumulate, dtable += it (an embedding gradient added
     * straight into an existing {@code .grad} instead of through a second [V, C] buffer).
     */
    void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable, boolean accumulate);

    /** Causal attention; keyMask is null or I32 [B, T] with 0 for padding keys; lse [B, H, T] is saved for backward. */
    default void attentionForward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        attentionForward(spec, q, k, v, keyMask, null, out, lse);
    }

    /**
     * Causal attention within documents: documents is null or I32 [B, T], each row's tokens grouped into
     * contiguous runs of one id (packed sequences); a query sees only keys of its own run. Probability dropout
     * follows {@link AttentionSpec#dropout()}.
     */
    void attentionForward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                          Tensor out, Tensor lse);

    /** dq, dk, dv are overwritten; they may be one packed tensor like q, k, v. */
    default void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                                   Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        attentionBackward(spec, q, k, v, keyMask, null, out, lse, dout, dq, dk, dv);
    }

    /** Gradients of the documents form of {@link #attentionForward}, with the same documents and dropout. */
    void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                           Tensor out, Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv);

    /**
     * Attention of the newest {@code spec.seqLen()} = Tq positions against a key/value cache (generation; no
     * backward). q is [B, Tq, width] with heads at {@code spec.qCol()}; kCache and vCache are [B, maxLen, width]
     * with heads at {@code spec.kCol()} / {@code spec.vCol()} and positions 0..len-1 filled (the queries' own
     * keys included). Query i sits at position len - Tq + i and sees keys s <= it with keyMask[b, s] != 0
     * (keyMask null or I32 [B, maxLen]); one with no visible key gets 0. out is [B, Tq, H*D].
     */
    void attentionDecode(AttentionSpec spec, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache,
                         Tensor keyMask, Tensor out);

    /** logits [N, V], targets I32 [N]; losses [N] (0 where ignored), lse [N]. */
    void crossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor lse);

    /** dlogits [N, V] = dlosses[i] * (softmax - onehot), zero rows where ignored. */
    void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dlosses, Tensor dlogits);

    // ---- optimizer

    /**
     * PyTorch AdamW on one parameter, in place on param, m and v, from the gradient times {@code hyper.gradScale()}
     * (the CPU reads grad and scales it on the fly; a backend may instead scale grad in place first).
     */
    void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper hyper);

    /**
     * {@link #adamwStep} on many parameters sharing one hyper-parameter set (PyTorch's foreach/fused AdamW): the
     * i-th entries of the four lists belong together. A GPU runs them all in one multi-tensor launch.
     */
    default void adamwSteps(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, AdamWHyper hyper) {
        for (int i = 0; i < params.size(); i++) adamwStep(params.get(i), grads.get(i), ms.get(i), vs.get(i), hyper);
    }

    /**
     * Whether F32 GEMMs may use TF32 tensor cores (10-bit mantissa products, F32 accumulation; PyTorch's
     * {@code allow_tf32}). Off by default; a backend without them refuses to turn it on.
     */
    default void setTf32(boolean allow) {
        if (allow) throw new UnsupportedOperationException("the " + name() + " backend has no TF32 GEMMs");
    }

    /** Element type this backend computes GEMMs in for a given storage type (F32 on the CPU). */
    default DType computeType(DType storage) {
        return DType.F32;
    }
}
