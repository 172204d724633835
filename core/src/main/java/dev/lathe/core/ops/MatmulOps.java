package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.BinaryOp;

/**
 * Differentiable matrix products on the backend's GEMM; transposed views are read in place, never copied. Under
 * {@link Autocast#bf16()} every GEMM of an op, forward and backward, multiplies BF16-rounded operands.
 */
public final class MatmulOps {
    private MatmulOps() {}

    /** a [.., M, K] @ b [K, N] or [.., K, N] → [.., M, N]. */
    public static Tensor matmul(Tensor a, Tensor b) {
        Devices.common("matmul", a, b);
        boolean bf16 = Autocast.isBf16();
        Tensor out = gemm(a, b, bf16);
        return Node.record(out, "matmul", (g, needs) -> new Tensor[] {
                needs[0] ? gemm(g, b.t(), bf16) : null,
                needs[1] ? weightGrad(a, g, b, bf16) : null}, a, b);
    }

    /**
     * PyTorch's linear: x [.., in] @ weight[out, in]ᵀ + bias[out] → [.., out]. One node: dx = g W,
     * dW = gᵀ x, dbias = column sums of g.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        int in = weight.dim(1), outF = weight.dim(0);
        if (x.dim(-1) != in) throw new IllegalArgumentException("linear: input " + x + " for weight " + weight);
        Device device = Devices.common("linear", x, weight, bias);
        boolean bf16 = Autocast.isBf16();
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        Tensor x2 = rows(x, in);
        Tensor out = Tensor.empty(device, x.dtype(), outShape);
        try (var noGrad = GradMode.off()) { // the views below are plumbing, not graph edges
            Tensor out2 = out.view(-1, outF);
            product(be(x), x2, weight.t(), out2, bf16);
            if (bias != null) be(x).binary(BinaryOp.ADD, out2, bias, out2);
        }
        int[] xShape = x.shape();
        return Node.record(out, "linear", (g, needs) -> {
            Tensor g2 = g.contiguous().view(-1, outF);
            Tensor dx = null, dw = null, db = null;
            if (needs[0]) {
                dx = Tensor.empty(device, x.dtype(), xShape);
                product(be(g), g2, weight, dx.view(-1, in), bf16);
            }
            if (needs[1]) {
                dw = Tensor.empty(device, weight.dtype(), outF, in);
                product(be(g), g2.t(), x2, dw, bf16);
            }
            if (needs[2]) {
                db = Tensor.empty(device, bias.dtype(), outF);
                be(g).sumRows(g2, db);
            }
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    // ---------------------------------------------------------------- raw helpers

    /** Unrecorded a @ b. */
    static Tensor gemm(Tensor a, Tensor b) {
        return gemm(a, b, false);
    }

    private static Tensor gemm(Tensor a, Tensor b, boolean bf16) {
        int[] shape = a.shape();
        shape[shape.length - 1] = b.dim(-1);
        Tensor out = Tensor.empty(a.device(), a.dtype(), shape);
        product(be(a), a, b, out, bf16);
        return out;
    }

    /** d(a @ b)/db: aᵀ g, summed over a's batch when b is shared by every batch. */
    private static Tensor weightGrad(Tensor a, Tensor g, Tensor b, boolean bf16) {
        if (b.rank() == 2 && a.rank() > 2) {
            int k = a.dim(-1), n = g.dim(-1);
            Tensor db = Tensor.empty(g.device(), b.dtype(), b.shape());
            product(be(g), rows(a, k).t(), g.contiguous().view(-1, n), db, bf16);
            return db;
        }
        return gemm(a.t(), g, bf16);
    }

    /**
     * c = a @ b, on BF16-rounded operands when {@code bf16}: handed to the GEMM as BF16 where the backend computes
     * BF16 GEMMs (F32 accumulation and output), else widened back to F32 (the CPU), the same products either way
     * up to the order of accumulation.
     */
    private static void product(Backend be, Tensor a, Tensor b, Tensor c, boolean bf16) {
        if (!bf16) {
            be.matmul(a, b, c, 1f, 0f);
            return;
        }
        boolean native16 = be.computeType(DType.BF16) == DType.BF16;
        try (Tensor a16 = rounded(be, a, native16); Tensor b16 = rounded(be, b, native16)) {
            be.matmul(a16, b16, c, 1f, 0f);
        }
    }

    /**
     * x rounded to BF16 (nearest even), as BF16 or widened back to F32; a transposed view stays one (its memory is
     * rounded in place order), so the GEMM still reads it as a transpose. Unrecorded, owned by the caller.
     */
    private static Tensor rounded(Backend be, Tensor x, boolean keepBf16) {
        try (var noGrad = GradMode.off()) {
            return Scope.escape(() -> {
                try (Tensor stored = x.isTransposed() ? x.t() : x.detach()) { // x's elements in memory order
                    Tensor narrow = Tensor.empty(x.device(), DType.BF16, stored.shape());
                    be.copy(stored, narrow);
                    Tensor r = narrow;
                    if (!keepBf16) {
                        r = Tensor.empty(x.device(), DType.F32, stored.shape());
                        be.copy(narrow, r);
                        narrow.close();
                    }
                    if (!x.isTransposed()) return r;
                    Tensor view = r.t();
                    r.close(); // the view holds the memory now
                    return view;
                }
            });
        }
    }

    /** x as a [rows, width] matrix (copying only if x is a transposed view). */
    private static Tensor rows(Tensor x, int width) {
        try (var noGrad = GradMode.off()) {
            return x.contiguous().view(-1, width);
        }
    }
}
