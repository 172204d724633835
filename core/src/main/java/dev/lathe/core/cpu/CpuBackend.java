package dev.lathe.core.cpu;

import static dev.lathe.core.backend.BackendChecks.elementwise;
import static dev.lathe.core.backend.BackendChecks.f32;
import static dev.lathe.core.backend.BackendChecks.rows;
import static dev.lathe.core.backend.BackendChecks.rowwise;
import static dev.lathe.core.backend.BackendChecks.sameShape;
import static dev.lathe.core.backend.BackendChecks.writable;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AdamWHyper;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.BackendChecks;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU backend: Vector API kernels over off-heap memory, run on {@link CpuParallel}'s threads. This class only
 * checks arguments ({@link BackendChecks}) and maps tensors to the kernels' (segment, rows, width) arguments;
 * each kernel family has its own file.
 */
public final class CpuBackend implements Backend {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public String describe() {
        return "cpu (Vector API " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit, "
                + CpuParallel.threads() + " threads)";
    }

    @Override
    public Storage allocate(long bytes) {
        return Storage.host(bytes);
    }

    // ---------------------------------------------------------------- data movement

    @Override
    public void copy(Tensor src, Tensor dst) {
        sameShape(src, dst);
        writable(dst);
        long n = src.numel();
        if (src.isTransposed()) {
            if (src.dtype().bytes() != 4 || dst.dtype() != src.dtype()) {
                throw new IllegalArgumentException("transposed copy needs equal 4-byte dtypes, got " + src + " -> " + dst);
            }
            int cols = src.dim(-1), rows = src.dim(-2); // logical [rows, cols]; memory [cols, rows]
            CpuTranspose.transpose((int) (n / ((long) rows * cols)), cols, rows, src.segment(), dst.segment());
        } else if (src.dtype() == dst.dtype()) {
            MemorySegment.copy(src.segment(), 0, dst.segment(), 0, n * src.dtype().bytes());
        } else if (src.dtype() == DType.F32 && dst.dtype() == DType.BF16) {
            CpuConvert.f32ToBf16(n, src.segment(), dst.segment());
        } else if (src.dtype() == DType.BF16 && dst.dtype() == DType.F32) {
            CpuConvert.bf16ToF32(n, src.segment(), dst.segment());
        } else if (src.dtype() == DType.F32 && dst.dtype() == DType.F16) {
            CpuConvert.f32ToF16(n, src.segment(), dst.segment());
        } else if (src.dtype() == DType.F16 && dst.dtype() == DType.F32) {
            CpuConvert.f16ToF32(n, src.segment(), dst.segment());
        } else {
            throw new IllegalArgumentException("no conversion " + src.dtype() + " -> " + dst.dtype());
        }
    }

    @Override
    public void zero(Tensor dst) {
        writable(dst);
        dst.segment().fill((byte) 0);
    }

    @Override
    public void fill(Tensor dst, float value) {
        f32(dst);
        writable(dst);
        CpuElementwise.fill(dst.numel(), value, dst.segment());
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        f32(a, b, c);
        writable(c);
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2: " + a + " @ " + b);
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        if (b.dim(-2) != k) throw new IllegalArgumentException("matmul inner dims differ: " + a + " @ " + b);
        if (c.dim(-2) != m || c.dim(-1) != n || c.numel() / ((long) m * n) != a.numel() / Math.max(1L, (long) m * k)) {
            throw new IllegalArgumentException("matmul output " + c + " does not fit " + a + " @ " + b);
        }
        int batch = (int) (a.numel() / Math.max(1L, (long) m * k));
        if (m == 0 || k == 0 && a.numel() == 0) batch = (int) (c.numel() / Math.max(1L, (long) m * n));
        long strideB;
        if (b.rank() == 2) {
            strideB = 0;
        } else if (b.numel() / ((long) k * n) == batch) {
            strideB = (long) k * n;
        } else {
            throw new IllegalArgumentException("matmul batch dims differ: " + a + " @ " + b);
        }
        boolean ta = a.isTransposed(), tb = b.isTransposed();
        int lda = ta ? m : k, ldb = tb ? k : n;
        if (batch == 1) {
            CpuGemm.sgemm(ta, tb, m, n, k, alpha, a.segment(), lda, b.segment(), ldb, beta, c.segment(), n);
        } else {
            CpuGemm.sgemmBatched(ta, tb, m, n, k, alpha, a.segment(), lda, (long) m * k, b.segment(), ldb, strideB,
                    beta, c.segment(), n, (long) m * n, batch);
        }
    }

    // ---------------------------------------------------------------- element-wise and reductions

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        BackendChecks.binary(op, a, b, out);
        CpuElementwise.binary(op, a.numel(), a.segment(), b.segment(), b.numel(), out.segment());
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        elementwise(x, out);
        CpuElementwise.unary(op, x.numel(), x.segment(), out.segment());
    }

    @Override
    public void scale(Tensor x, float alpha, Tensor out) {
        elementwise(x, out);
        CpuElementwise.scale(x.numel(), alpha, x.segment(), out.segment());
    }

    @Override
    public void dropout(Tensor x, float p, long seed, Tensor out) {
        elementwise(x, out);
        CpuDropout.apply(x.numel(), p, seed, x.segment(), out.segment());
    }

    @Override
    public void addScalar(Tensor x, float s, Tensor out) {
        elementwise(x, out);
        CpuElementwise.addScalar(x.numel(), s, x.segment(), out.segment());
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        elementwise(x, y);
        CpuElementwise.axpy(x.numel(), alpha, x.segment(), y.segment());
    }

    @Override
    public double sum(Tensor x) {
        f32(x);
        return CpuReduce.sum(x.numel(), x.segment());
    }

    @Override
    public double sumSquares(Tensor x) {
        f32(x);
        return CpuReduce.sumSquares(x.numel(), x.segment());
    }

    @Override
    public void sumRows(Tensor x, Tensor out) {
        BackendChecks.sumRows(x, out);
        int c = Math.toIntExact(out.numel());
        CpuReduce.sumRows((int) (x.numel() / c), c, x.segment(), out.segment());
    }

    @Override
    public void rowSum(Tensor x, Tensor out) {
        BackendChecks.rowSum(x, out);
        int rows = Math.toIntExact(out.numel());
        CpuReduce.rowSum(rows, (int) (x.numel() / rows), x.segment(), out.segment());
    }

    // ---------------------------------------------------------------- normalisation and activations

    @Override
    public void softmaxForward(Tensor x, Tensor out) {
        rowwise(x, out);
        CpuSoftmax.forward(rows(x), x.dim(-1), x.segment(), out.segment());
    }

    @Override
    public void softmaxBackward(Tensor out, Tensor dout, Tensor dx) {
        rowwise(out, dout, dx);
        CpuSoftmax.backward(rows(out), out.dim(-1), out.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor out, Tensor mean, Tensor rstd) {
        BackendChecks.layerNorm(x, gamma, beta, out, mean, rstd);
        CpuLayerNorm.forward(rows(x), x.dim(-1), eps, x.segment(), gamma.segment(), seg(beta), out.segment(),
                mean.segment(), rstd.segment());
    }

    @Override
    public void layerNormBackward(Tensor dout, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        BackendChecks.layerNormBackward(dout, x, gamma, mean, rstd, dx, dgamma, dbeta);
        CpuLayerNorm.backward(rows(x), x.dim(-1), dout.segment(), x.segment(), gamma.segment(), mean.segment(),
                rstd.segment(), dx.segment(), dgamma.segment(), seg(dbeta));
    }

    @Override
    public void rmsNormForward(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
        BackendChecks.rmsNorm(x, weight, out, rstd);
        CpuRmsNorm.forward(rows(x), x.dim(-1), eps, x.segment(), weight.segment(), out.segment(), rstd.segment());
    }

    @Override
    public void rmsNormBackward(Tensor dout, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dweight) {
        BackendChecks.rmsNormBackward(dout, x, weight, rstd, dx, dweight);
        CpuRmsNorm.backward(rows(x), x.dim(-1), dout.segment(), x.segment(), weight.segment(), rstd.segment(),
                dx.segment(), dweight.segment());
    }

    @Override
    public void geluForward(Tensor x, Tensor out) {
        rowwise(x, out);
        CpuActivations.geluForward(x.numel(), x.segment(), out.segment());
    }

    @Override
    public void geluBackward(Tensor x, Tensor dout, Tensor dx) {
        rowwise(x, dout, dx);
        CpuActivations.geluBackward(x.numel(), x.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void biasGeluForward(Tensor x, Tensor bias, Tensor out) {
        BackendChecks.biasRows(x, bias, out);
        CpuActivations.biasGeluForward(rows(x), x.dim(-1), x.segment(), bias.segment(), out.segment());
    }

    @Override
    public void biasGeluBackward(Tensor x, Tensor bias, Tensor dout, Tensor dx) {
        BackendChecks.biasRows(x, bias, dout, dx);
        CpuActivations.biasGeluBackward(rows(x), x.dim(-1), x.segment(), bias.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void siluForward(Tensor x, Tensor out) {
        rowwise(x, out);
        CpuActivations.siluForward(x.numel(), x.segment(), out.segment());
    }

    @Override
    public void siluBackward(Tensor x, Tensor dout, Tensor dx) {
        rowwise(x, dout, dx);
        CpuActivations.siluBackward(x.numel(), x.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void rotary(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        BackendChecks.rotary(x, cos, sin, out);
        int half = cos.dim(-1);
        CpuRotary.apply(rows(x), x.dim(-1), half, inverse ? -1f : 1f, x.segment(), cos.segment(), sin.segment(),
                out.segment());
    }

    // ---------------------------------------------------------------- embedding, attention, loss

    @Override
    public void embeddingForward(Tensor ids, Tensor table, Tensor out) {
        BackendChecks.embedding(ids, table, out);
        int n = Math.toIntExact(ids.numel()), c = table.dim(-1);
        CpuEmbedding.forward(n, c, table.dim(0), ids.segment(), table.segment(), out.segment());
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable, boolean accumulate) {
        BackendChecks.embeddingBackward(ids, dout, dtable);
        int n = Math.toIntExact(ids.numel()), c = dtable.dim(-1);
        CpuEmbedding.backward(n, c, dtable.dim(0), ids.segment(), dout.segment(), dtable.segment(), accumulate);
    }

    @Override
    public void attentionForward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                                 Tensor out, Tensor lse) {
        BackendChecks.attention(s, q, k, v, keyMask, documents);
        BackendChecks.attentionOutputs(s, out, lse);
        CpuAttention.forward(s.batch(), s.seqLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                fromCol(q, s.qCol()), fromCol(k, s.kCol()), fromCol(v, s.vCol()), seg(keyMask),
                masking(s, documents), fromCol(out, 0), lse.segment());
    }

    @Override
    public void attentionBackward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                                  Tensor out, Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        BackendChecks.attention(s, q, k, v, keyMask, documents);
        BackendChecks.attentionGradients(q, k, v, out, lse, dout, dq, dk, dv);
        CpuAttention.backward(s.batch(), s.seqLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                fromCol(q, s.qCol()), fromCol(k, s.kCol()), fromCol(v, s.vCol()), seg(keyMask),
                masking(s, documents), fromCol(out, 0), lse.segment(), fromCol(dout, 0),
                fromCol(dq, s.qCol()), fromCol(dk, s.kCol()), fromCol(dv, s.vCol()));
    }

    @Override
    public void attentionDecode(AttentionSpec s, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache,
                                Tensor keyMask, Tensor out) {
        BackendChecks.attentionDecode(s, len, maxLen, q, kCache, vCache, keyMask, out);
        int B = s.batch(), Tq = s.seqLen();
        CpuDecodeAttention.forward(B, Tq, len, maxLen, s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                fromCol(q, s.qCol()), fromCol(kCache, s.kCol()), fromCol(vCache, s.vCol()), seg(keyMask),
                new AttentionRows(out.segment(), (long) s.heads() * s.headDim()));
    }

    @Override
    public void crossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor lse) {
        BackendChecks.crossEntropy(logits, targets, losses, lse);
        int n = rows(logits);
        CpuCrossEntropy.forward(n, logits.dim(-1), logits.segment(), targets.segment(), ignoreIndex,
                losses.segment(), lse.segment());
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dlosses,
                                     Tensor dlogits) {
        BackendChecks.crossEntropyBackward(logits, targets, lse, dlosses, dlogits);
        int n = rows(logits);
        CpuCrossEntropy.backward(n, logits.dim(-1), logits.segment(), targets.segment(), ignoreIndex,
                lse.segment(), dlosses.segment(), dlogits.segment());
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        BackendChecks.adamw(param, grad, m, v, h);
        CpuAdamW.step(param.numel(), param.segment(), grad.segment(), m.segment(), v.segment(),
                h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), h.step(), h.gradScale());
    }

    // ---------------------------------------------------------------- kernel arguments

    /** The rows of t [.., width] from column col on. */
    private static AttentionRows fromCol(Tensor t, int col) {
        long width = t.dim(-1);
        return new AttentionRows(t.segment().asSlice((long) col * Float.BYTES), width);
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? null : t.segment();
    }

    private static AttentionMasking masking(AttentionSpec s, Tensor documents) {
        return new AttentionMasking(seg(documents), s.dropout(), s.dropoutSeed());
    }
}
