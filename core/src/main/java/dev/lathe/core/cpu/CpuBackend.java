package dev.lathe.core.cpu;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.AdamWHyper;
import dev.lathe.core.backend.AttentionSpec;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU backend: Vector API kernels over off-heap memory, run on {@link CpuParallel}'s pool. This class only
 * checks shapes and maps tensors to the kernels' (segment, rows, width) arguments; each kernel family has its
 * own file.
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
        requireSameShape(src, dst);
        checkWritable(dst);
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
        checkWritable(dst);
        dst.segment().fill((byte) 0);
    }

    @Override
    public void fill(Tensor dst, float value) {
        checkF32(dst);
        checkWritable(dst);
        CpuElementwise.fill(dst.numel(), value, dst.segment());
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, float alpha, float beta) {
        checkF32(a, b, c);
        checkWritable(c);
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
        checkF32(a, b, out);
        checkContiguous(a, b);
        requireSameShape(a, out);
        checkWritable(out);
        if (b.numel() == 0 || a.numel() % b.numel() != 0) {
            throw new IllegalArgumentException(op + ": cannot broadcast " + b + " over " + a);
        }
        CpuElementwise.binary(op, a.numel(), a.segment(), b.segment(), b.numel(), out.segment());
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        checkElementwise(x, out);
        CpuElementwise.unary(op, x.numel(), x.segment(), out.segment());
    }

    @Override
    public void scale(Tensor x, float alpha, Tensor out) {
        checkElementwise(x, out);
        CpuElementwise.scale(x.numel(), alpha, x.segment(), out.segment());
    }

    @Override
    public void dropout(Tensor x, float p, long seed, Tensor out) {
        checkElementwise(x, out);
        CpuDropout.apply(x.numel(), p, seed, x.segment(), out.segment());
    }

    @Override
    public void addScalar(Tensor x, float s, Tensor out) {
        checkElementwise(x, out);
        CpuElementwise.addScalar(x.numel(), s, x.segment(), out.segment());
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        checkElementwise(x, y);
        CpuElementwise.axpy(x.numel(), alpha, x.segment(), y.segment());
    }

    @Override
    public double sum(Tensor x) {
        checkF32(x);
        return CpuReduce.sum(x.numel(), x.segment());
    }

    @Override
    public double sumSquares(Tensor x) {
        checkF32(x);
        return CpuReduce.sumSquares(x.numel(), x.segment());
    }

    @Override
    public void sumRows(Tensor x, Tensor out) {
        checkF32(x, out);
        checkContiguous(x);
        int c = Math.toIntExact(out.numel());
        if (c == 0 || x.numel() % c != 0) throw new IllegalArgumentException("sumRows: " + x + " -> " + out);
        CpuReduce.sumRows((int) (x.numel() / c), c, x.segment(), out.segment());
    }

    @Override
    public void rowSum(Tensor x, Tensor out) {
        checkF32(x, out);
        checkContiguous(x);
        int rows = Math.toIntExact(out.numel());
        if (rows == 0 || x.numel() % rows != 0) throw new IllegalArgumentException("rowSum: " + x + " -> " + out);
        CpuReduce.rowSum(rows, (int) (x.numel() / rows), x.segment(), out.segment());
    }

    // ---------------------------------------------------------------- normalisation and activations

    @Override
    public void softmaxForward(Tensor x, Tensor out) {
        checkRowwise(x, out);
        CpuSoftmax.forward(rows(x), x.dim(-1), x.segment(), out.segment());
    }

    @Override
    public void softmaxBackward(Tensor out, Tensor dout, Tensor dx) {
        checkRowwise(out, dout, dx);
        CpuSoftmax.backward(rows(out), out.dim(-1), out.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor out, Tensor mean, Tensor rstd) {
        checkRowwise(x, out);
        checkVector(x.dim(-1), gamma, beta);
        checkVector(rows(x), mean, rstd);
        CpuLayerNorm.forward(rows(x), x.dim(-1), eps, x.segment(), gamma.segment(), seg(beta), out.segment(),
                mean.segment(), rstd.segment());
    }

    @Override
    public void layerNormBackward(Tensor dout, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                                  Tensor dx, Tensor dgamma, Tensor dbeta) {
        checkRowwise(dout, x, dx);
        checkVector(x.dim(-1), gamma, dgamma, dbeta);
        checkVector(rows(x), mean, rstd);
        CpuLayerNorm.backward(rows(x), x.dim(-1), dout.segment(), x.segment(), gamma.segment(), mean.segment(),
                rstd.segment(), dx.segment(), dgamma.segment(), seg(dbeta));
    }

    @Override
    public void rmsNormForward(Tensor x, Tensor weight, float eps, Tensor out, Tensor rstd) {
        checkRowwise(x, out);
        checkVector(x.dim(-1), weight);
        checkVector(rows(x), rstd);
        CpuRmsNorm.forward(rows(x), x.dim(-1), eps, x.segment(), weight.segment(), out.segment(), rstd.segment());
    }

    @Override
    public void rmsNormBackward(Tensor dout, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dweight) {
        checkRowwise(dout, x, dx);
        checkVector(x.dim(-1), weight, dweight);
        checkVector(rows(x), rstd);
        CpuRmsNorm.backward(rows(x), x.dim(-1), dout.segment(), x.segment(), weight.segment(), rstd.segment(),
                dx.segment(), dweight.segment());
    }

    @Override
    public void geluForward(Tensor x, Tensor out) {
        checkRowwise(x, out);
        CpuActivations.geluForward(x.numel(), x.segment(), out.segment());
    }

    @Override
    public void geluBackward(Tensor x, Tensor dout, Tensor dx) {
        checkRowwise(x, dout, dx);
        CpuActivations.geluBackward(x.numel(), x.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void siluForward(Tensor x, Tensor out) {
        checkRowwise(x, out);
        CpuActivations.siluForward(x.numel(), x.segment(), out.segment());
    }

    @Override
    public void siluBackward(Tensor x, Tensor dout, Tensor dx) {
        checkRowwise(x, dout, dx);
        CpuActivations.siluBackward(x.numel(), x.segment(), dout.segment(), dx.segment());
    }

    @Override
    public void rotary(Tensor x, Tensor cos, Tensor sin, boolean inverse, Tensor out) {
        checkRowwise(x, out);
        checkRowwise(cos, sin);
        int half = cos.dim(-1);
        if (half == 0 || x.dim(-1) % (2 * half) != 0 || rows(cos) != rows(x)) {
            throw new IllegalArgumentException("rotary: angles " + cos + " do not fit rows of heads in " + x);
        }
        CpuRotary.apply(rows(x), x.dim(-1), half, inverse ? -1f : 1f, x.segment(), cos.segment(), sin.segment(),
                out.segment());
    }

    // ---------------------------------------------------------------- embedding, attention, loss

    @Override
    public void embeddingForward(Tensor ids, Tensor table, Tensor out) {
        checkIds(ids);
        checkF32(table, out);
        int n = Math.toIntExact(ids.numel()), c = table.dim(-1);
        if (table.rank() != 2 || out.numel() != (long) n * c) {
            throw new IllegalArgumentException("embedding: ids " + ids + ", table " + table + ", out " + out);
        }
        CpuEmbedding.forward(n, c, table.dim(0), ids.segment(), table.segment(), out.segment());
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable) {
        checkIds(ids);
        checkF32(dout, dtable);
        int n = Math.toIntExact(ids.numel()), c = dtable.dim(-1);
        if (dtable.rank() != 2 || dout.numel() != (long) n * c) {
            throw new IllegalArgumentException("embedding backward: ids " + ids + ", dout " + dout + ", dtable " + dtable);
        }
        CpuEmbedding.backward(n, c, dtable.dim(0), ids.segment(), dout.segment(), dtable.segment());
    }

    @Override
    public void attentionForward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                                 Tensor out, Tensor lse) {
        checkAttention(s, q, k, v, keyMask, documents);
        checkF32(out, lse);
        if (out.numel() != (long) s.batch() * s.seqLen() * s.heads() * s.headDim()
                || lse.numel() != (long) s.batch() * s.heads() * s.seqLen()) {
            throw new IllegalArgumentException("attention outputs " + out + ", " + lse + " do not fit " + s);
        }
        CpuAttention.forward(s.batch(), s.seqLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                rows(q, s.qCol()), rows(k, s.kCol()), rows(v, s.vCol()), seg(keyMask), masking(s, documents),
                rows(out, 0), lse.segment());
    }

    @Override
    public void attentionBackward(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents,
                                  Tensor out, Tensor lse, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        checkAttention(s, q, k, v, keyMask, documents);
        checkF32(out, lse, dout, dq, dk, dv);
        requireSameShape(q, dq);
        requireSameShape(k, dk);
        requireSameShape(v, dv);
        requireSameShape(out, dout);
        CpuAttention.backward(s.batch(), s.seqLen(), s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                rows(q, s.qCol()), rows(k, s.kCol()), rows(v, s.vCol()), seg(keyMask), masking(s, documents),
                rows(out, 0), lse.segment(), rows(dout, 0),
                rows(dq, s.qCol()), rows(dk, s.kCol()), rows(dv, s.vCol()));
    }

    @Override
    public void attentionDecode(AttentionSpec s, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache,
                                Tensor keyMask, Tensor out) {
        checkF32(q, kCache, vCache, out);
        checkContiguous(q, kCache, vCache);
        checkWritable(out);
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
            checkIds(keyMask);
            if (keyMask.numel() != (long) B * maxLen) {
                throw new IllegalArgumentException("key mask " + keyMask + " is not [B, " + maxLen + "] for " + s);
            }
        }
        CpuDecodeAttention.forward(B, Tq, len, maxLen, s.heads(), s.kvHeads(), s.headDim(), s.scale(),
                rows(q, s.qCol()), rows(kCache, s.kCol()), rows(vCache, s.vCol()), seg(keyMask),
                new AttentionRows(out.segment(), (long) s.heads() * s.headDim()));
    }

    @Override
    public void crossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor lse) {
        checkIds(targets);
        checkRowwise(logits);
        int n = rows(logits);
        if (targets.numel() != n) throw new IllegalArgumentException("cross-entropy: " + targets + " targets for " + logits);
        checkVector(n, losses, lse);
        CpuCrossEntropy.forward(n, logits.dim(-1), logits.segment(), targets.segment(), ignoreIndex,
                losses.segment(), lse.segment());
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dlosses,
                                     Tensor dlogits) {
        checkIds(targets);
        checkRowwise(logits, dlogits);
        int n = rows(logits);
        checkVector(n, lse, dlosses);
        CpuCrossEntropy.backward(n, logits.dim(-1), logits.segment(), targets.segment(), ignoreIndex,
                lse.segment(), dlosses.segment(), dlogits.segment());
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        checkF32(param, grad, m, v);
        checkContiguous(grad);
        requireSameShape(param, grad);
        requireSameShape(param, m);
        requireSameShape(param, v);
        CpuAdamW.step(param.numel(), param.segment(), grad.segment(), m.segment(), v.segment(),
                h.lr(), h.beta1(), h.beta2(), h.eps(), h.weightDecay(), h.step());
    }

    // ---------------------------------------------------------------- argument checks

    private static int rows(Tensor x) {
        int c = x.rank() == 0 ? 1 : x.dim(-1);
        return c == 0 ? 0 : Math.toIntExact(x.numel() / c);
    }

    private static AttentionRows rows(Tensor t, int col) {
        long width = t.dim(-1);
        return new AttentionRows(t.segment().asSlice((long) col * Float.BYTES), width);
    }

    private static MemorySegment seg(Tensor t) {
        return t == null ? null : t.segment();
    }

    private static AttentionMasking masking(AttentionSpec s, Tensor documents) {
        return new AttentionMasking(seg(documents), s.dropout(), s.dropoutSeed());
    }

    private static void checkAttention(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents) {
        checkF32(q, k, v);
        checkContiguous(q, k, v);
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
            checkIds(keyMask);
            if (keyMask.numel() != rows) throw new IllegalArgumentException("key mask " + keyMask + " is not [B, T] for " + s);
        }
        if (documents != null) {
            checkIds(documents);
            if (documents.numel() != rows) throw new IllegalArgumentException("documents " + documents + " are not [B, T] for " + s);
        }
    }

    /** F32 input and output of one shape; the input readable in place, the output writable. */
    private static void checkElementwise(Tensor x, Tensor out) {
        checkF32(x, out);
        checkContiguous(x);
        requireSameShape(x, out);
        checkWritable(out);
    }

    private static void checkRowwise(Tensor first, Tensor... rest) {
        checkF32(first);
        checkContiguous(first);
        for (Tensor t : rest) {
            checkF32(t);
            checkContiguous(t);
            requireSameShape(first, t);
        }
    }

    private static void checkVector(long n, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) continue;
            checkF32(t);
            if (t.numel() != n) throw new IllegalArgumentException("expected " + n + " elements, got " + t);
        }
    }

    private static void checkIds(Tensor ids) {
        if (ids.dtype() != DType.I32) throw new IllegalArgumentException("ids must be I32, got " + ids);
        checkContiguous(ids);
    }

    private static void checkF32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) throw new IllegalArgumentException("expected an F32 tensor, got " + t);
        }
    }

    private static void checkContiguous(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.isTransposed()) throw new IllegalArgumentException("kernel needs a contiguous tensor, got " + t);
        }
    }

    private static void checkWritable(Tensor t) {
        if (t.isTransposed()) throw new IllegalArgumentException("cannot write into a transposed view " + t);
    }

    private static void requireSameShape(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) throw new IllegalArgumentException("shapes differ: " + a + " vs " + b);
    }
}
