package dev.lathe.core.ops;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.BinaryOp;

/** Differentiable reductions to a scalar (float64 accumulation) and over rows. */
public final class ReduceOps {
    private ReduceOps() {}

    /** Sum of all elements, as a one-element tensor. */
    public static Tensor sum(Tensor x) {
        Tensor xc = x.contiguous();
        // The backend returns the float64 sum to the host; the one-element result goes back to x's device.
        Tensor out = Tensor.scalar((float) ElementwiseOps.be(x).sum(xc)).moveTo(x.device());
        return Node.record(out, "sum", (g, needs) -> new Tensor[] {broadcast(g, x.shape())}, x);
    }

    /** Mean of all elements, as a one-element tensor. */
    public static Tensor mean(Tensor x) {
        return ElementwiseOps.scale(sum(x), 1f / x.numel());
    }

    /** x [rows, C] → [C]: the sum over rows of each column (how a broadcast bias gets its gradient). */
    public static Tensor sumRows(Tensor x, int columns) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), columns);
        ElementwiseOps.be(x).sumRows(x.contiguous(), out);
        int[] shape = x.shape();
        return Node.record(out, "sumRows", (g, needs) -> new Tensor[] {broadcast(g, shape)}, x);
    }

    /** A tensor of {@code shape} holding g repeated (g is a scalar or a trailing row). */
    static Tensor broadcast(Tensor g, int[] shape) {
        Tensor out = Tensor.zeros(g.device(), g.dtype(), shape);
        ElementwiseOps.be(g).binary(BinaryOp.ADD, out, g.contiguous(), out);
        return out;
    }
}
