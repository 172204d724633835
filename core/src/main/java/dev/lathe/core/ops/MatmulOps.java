package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.BinaryOp;

/** Differentiable matrix products on the backend's GEMM; transposed views are read in place, never copied. */
public final class MatmulOps {
    private MatmulOps() {}

    /** a [.., M, K] @ b [K, N] or [.., K, N] → [.., M, N]. */
    public static Tensor matmul(Tensor a, Tensor b) {
        Tensor out = gemm(a, b);
        return Node.record(out, "matmul", (g, needs) -> new Tensor[] {
                needs[0] ? gemm(g, b.t()) : null,
                needs[1] ? weightGrad(a, g, b) : null}, a, b);
    }

    /**
     * PyTorch's linear: x [.., in] @ weight[out, in]ᵀ + bias[out] → [.., out]. One node: dx = g W,
     * dW = gᵀ x, dbias = column sums of g.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        int in = weight.dim(1), outF = weight.dim(0);
        if (x.dim(-1) != in) throw new IllegalArgumentException("linear: input " + x + " for weight " + weight);
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        Tensor x2 = rows(x, in);
        Tensor out = Tensor.empty(x.dtype(), outShape);
        try (var noGrad = GradMode.off()) { // the views below are plumbing, not graph edges
            Tensor out2 = out.view(-1, outF);
            be(x).matmul(x2, weight.t(), out2, 1f, 0f);
            if (bias != null) be(x).binary(BinaryOp.ADD, out2, bias, out2);
        }
        int[] xShape = x.shape();
        return Node.record(out, "linear", (g, needs) -> {
            Tensor g2 = g.contiguous().view(-1, outF);
            Tensor dx = null, dw = null, db = null;
            if (needs[0]) {
                dx = Tensor.empty(x.dtype(), xShape);
                be(g).matmul(g2, weight, dx.view(-1, in), 1f, 0f);
            }
            if (needs[1]) {
                dw = Tensor.empty(weight.dtype(), outF, in);
                be(g).matmul(g2.t(), x2, dw, 1f, 0f);
            }
            if (needs[2]) {
                db = Tensor.empty(bias.dtype(), outF);
                be(g).sumRows(g2, db);
            }
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    // ---------------------------------------------------------------- raw helpers

    /** Unrecorded a @ b. */
    static Tensor gemm(Tensor a, Tensor b) {
        int[] shape = a.shape();
        shape[shape.length - 1] = b.dim(-1);
        Tensor out = Tensor.empty(a.dtype(), shape);
        be(a).matmul(a, b, out, 1f, 0f);
        return out;
    }

    /** d(a @ b)/db: aᵀ g, summed over a's batch when b is shared by every batch. */
    private static Tensor weightGrad(Tensor a, Tensor g, Tensor b) {
        if (b.rank() == 2 && a.rank() > 2) {
            int k = a.dim(-1), n = g.dim(-1);
            Tensor db = Tensor.empty(b.dtype(), b.shape());
            be(g).matmul(rows(a, k).t(), g.contiguous().view(-1, n), db, 1f, 0f);
            return db;
        }
        return gemm(a.t(), g);
    }

    /** x as a [rows, width] matrix (copying only if x is a transposed view). */
    private static Tensor rows(Tensor x, int width) {
        try (var noGrad = GradMode.off()) {
            return x.contiguous().view(-1, width);
        }
    }
}
