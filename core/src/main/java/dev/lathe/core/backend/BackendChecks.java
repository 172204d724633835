package dev.lathe.core.backend;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import java.util.Arrays;

/**
 * The argument checks every backend applies before its kernels: dtypes, contiguity and shapes, per op where an op
 * needs more than the basic rules. Device placement and device limits are the backend's own checks. A null
 * tensor (an absent optional argument) is skipped where an op allows one.
 */
public final class BackendChecks {
    private BackendChecks() {}

    // ---------------------------------------------------------------- basic rules

    public static void f32(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.dtype() != DType.F32) throw new IllegalArgumentException("expected an F32 tensor, got " + t);
        }
    }

    public static void contiguous(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && t.isTransposed()) throw new IllegalArgumentException("kernel needs a contiguous tensor, got " + t);
        }
    }

    public static void writable(Tensor t) {
        if (t.isTransposed()) throw new IllegalArgumentException("cannot write into a transposed view " + t);
    }

    public static void sameShape(Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) throw new IllegalArgumentException("shapes differ: " + a + " vs " + b);
    }

    /** Contiguous I32 ids. */
    public static void ids(Tensor ids) {
        if (ids.dtype() != DType.I32) throw new IllegalArgumentException("ids must be I32, got " + ids);
        contiguous(ids);
    }

    /** F32 input and output of one shape; the input readable in place, the output writable. */
    public static void elementwise(Tensor x, Tensor out) {
        f32(x, out);
        contiguous(x);
        sameShape(x, out);
        writable(out);
    }

    /** F32, contiguous, all of the first one's shape. */
    public static void rowwise(Tensor first, Tensor... rest) {
        f32(first);
        contiguous(first);
        for (Tensor t : rest) {
            f32(t);
            contiguous(t);
            sameShape(first, t);
        }
    }

    /** F32 contiguous x [.., C] and bias [C]; the others (outputs, gradients) x's shape, F32 and contiguous. */
    public static void biasRows(Tensor x, Tensor bias, Tensor... others) {
        rowwise(x, others);
        f32(bias);
        contiguous(bias);
        if (x.rank() == 0 || bias.rank() != 1 || bias.dim(0) != x.dim(-1)) {
            throw new IllegalArgumentException("bias " + bias + " does not match the rows of " + x);
        }
    }

    /** F32 vectors of n elements (null skipped). */
    public static void vector(long n, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) continue;
            f32(t);
            if (t.numel() != n) throw new IllegalArgumentException("expected " + n + " elements, got " + t);
        }
    }

    /** Rows of x viewed as [rows, last dim]. */
    public static int rows(Tensor x) {
        int c = x.rank() == 0 ? 1 : x.dim(-1);
        return c == 0 ? 0 : Math.toIntExact(x.numel() / c);
    }

    // ---------------------------------------------------------------- element-wise and reductions

    /** a op b into out, b [n] repeated over a [.., n] (n dividing a's size). */
    public static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        f32(a, b, out);
        contiguous(a, b);
        sameShape(a, out);
        writable(out);
        if (b.numel() == 0 || a.numel() % b.numel() != 0) {
            throw new IllegalArgumentException(op + ": cannot broadcast " + b + " over " + a);
        }
    }

    /** x [rows, c] summed over rows into out [c]. */
    public static void sumRows(Tensor x, Tensor out) {
        f32(x, out);
        contiguous(x);
        long c = out.numel();
        if (c == 0 || x.numel() % c != 0) throw new IllegalArgumentException("sumRows: " + x + " -> " + out);
    }

    /** x [rows, c] summed along each row into out [rows]. */
    public static void rowSum(Tensor x, Tensor out) {
        f32(x, out);
        contiguous(x);
        long rows = out.numel();
        if (rows == 0 || x.numel() % rows != 0) throw new IllegalArgumentException("rowSum: " + x + " -> " + out);
    }

    // ---------------------------------------------------------------- normalisation and rotary embedding

    /** x, out [rows, c]; gamma, beta [c] (beta may be null); mean, rstd [rows]. */
    public static void layerNorm(Tensor x, Tensor gamma, Tensor beta, Tensor out, Tensor mean, Tensor rstd) {
        rowwise(x, out);
        vector(x.dim(-1), gamma, beta);
        vector(rows(x), mean, rstd);
    }

    /** dout, x, dx [rows, c]; gamma, dgamma, dbeta [c] (dbeta may be null); mean, rstd [rows]. */
    public static void layerNormBackward(Tensor dout, Tensor x, Tensor gamma, Tensor mean, Tensor rstd,
                                         Tensor dx, Tensor dgamma, Tensor dbeta) {
        rowwise(dout, x, dx);
        vector(x.dim(-1), gamma, dgamma, dbeta);
        vector(rows(x), mean, rstd);
    }

    /** x, out [rows, c]; weight [c]; rstd [rows]. */
    public static void rmsNorm(Tensor x, Tensor weight, Tensor out, Tensor rstd) {
        rowwise(x, out);
        vector(x.dim(-1), weight);
        vector(rows(x), rstd);
    }

    /** dout, x, dx [rows, c]; weight, dweight [c]; rstd [rows]. */
    public static void rmsNormBackward(Tensor dout, Tensor x, Tensor weight, Tensor rstd, Tensor dx, Tensor dweight) {
        rowwise(dout, x, dx);
        vector(x.dim(-1), weight, dweight);
        vector(rows(x), rstd);
    }

    /** x, out [rows, heads·2·half]; cos, sin [rows, half]. */
    public static void rotary(Tensor x, Tensor cos, Tensor sin, Tensor out) {
        rowwise(x, out);
        rowwise(cos, sin);
        int half = cos.dim(-1);
        if (half == 0 || x.dim(-1) % (2 * half) != 0 || rows(cos) != rows(x)) {
            throw new IllegalArgumentException("rotary: angles " + cos + " do not fit rows of heads in " + x);
        }
    }

    // ---------------------------------------------------------------- embedding, attention, loss

    /** ids [n], table [V, c], out [n·c]. */
    public static void embedding(Tensor ids, Tensor table, Tensor out) {
        ids(ids);
        f32(table, out);
        if (table.rank() != 2 || out.numel() != ids.numel() * table.dim(-1)) {
            throw new IllegalArgumentException("embedding: ids " + ids + ", table " + table + ", out " + out);
        }
    }

    /** ids [n], dout [n·c], dtable [V, c]. */
    public static void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable) {
        ids(ids);
        f32(dout, dtable);
        if (dtable.rank() != 2 || dout.numel() != ids.numel() * dtable.dim(-1)) {
            throw new IllegalArgumentException("embedding backward: ids " + ids + ", dout " + dout + ", dtable " + dtable);
        }
    }

    /** The inputs of a forward or backward attention call: q, k, v [B·T, width]; keyMask, documents int [B, T] or null. */
    public static void attention(AttentionSpec s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor documents) {
        f32(q, k, v);
        contiguous(q, k, v);
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

    /** The outputs of forward attention: out [B·T, H·D], lse [B, H, T]. */
    public static void attentionOutputs(AttentionSpec s, Tensor out, Tensor lse) {
        f32(out, lse);
        writable(out);
        if (out.numel() != (long) s.batch() * s.seqLen() * s.heads() * s.headDim()
                || lse.numel() != (long) s.batch() * s.heads() * s.seqLen()) {
            throw new IllegalArgumentException("attention outputs " + out + ", " + lse + " do not fit " + s);
        }
    }

    /** The forward's out and lse, dout of out's shape, and dq, dk, dv of their inputs' shapes. */
    public static void attentionGradients(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dout,
                                          Tensor dq, Tensor dk, Tensor dv) {
        f32(out, lse, dout, dq, dk, dv);
        contiguous(out, lse, dout, dq, dk, dv);
        sameShape(q, dq);
        sameShape(k, dk);
        sameShape(v, dv);
        sameShape(out, dout);
    }

    /**
     * Decode attention of Tq new positions against caches holding len of maxLen: q [B, Tq, width], kCache and
     * vCache [B, maxLen, width], keyMask int [B, maxLen] or null, out [B, Tq, H·D].
     */
    public static void attentionDecode(AttentionSpec s, int len, int maxLen, Tensor q, Tensor kCache, Tensor vCache,
                                       Tensor keyMask, Tensor out) {
        f32(q, kCache, vCache, out);
        contiguous(q, kCache, vCache);
        writable(out);
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
    }

    /** logits [n, V]; targets int [n]; losses and lse [n]. */
    public static void crossEntropy(Tensor logits, Tensor targets, Tensor losses, Tensor lse) {
        crossEntropyRows(logits, targets);
        vector(rows(logits), losses, lse);
    }

    /** logits, dlogits [n, V]; targets int [n]; lse and dlosses [n]. */
    public static void crossEntropyBackward(Tensor logits, Tensor targets, Tensor lse, Tensor dlosses, Tensor dlogits) {
        crossEntropyRows(logits, targets, dlogits);
        vector(rows(logits), lse, dlosses);
    }

    private static void crossEntropyRows(Tensor logits, Tensor targets, Tensor... likeLogits) {
        ids(targets);
        rowwise(logits, likeLogits);
        if (targets.numel() != rows(logits)) throw new IllegalArgumentException("cross-entropy: " + targets + " targets for " + logits);
    }

    // ---------------------------------------------------------------- optimizer

    /** One AdamW update: param, grad, m, v contiguous F32 of one shape, the step 1-based. */
    public static void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWHyper h) {
        f32(param, grad, m, v);
        contiguous(param, grad, m, v);
        sameShape(param, grad);
        sameShape(param, m);
        sameShape(param, v);
        if (h.step() < 1) throw new IllegalArgumentException("step is 1-based, got " + h.step());
    }
}
