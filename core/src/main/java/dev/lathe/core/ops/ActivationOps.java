package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;

/** GELU (tanh form), SiLU and softmax over the last dimension. */
public final class ActivationOps {
    private ActivationOps() {}

    /** GPT-2's GELU: 0.5 x (1 + tanh(sqrt(2/π)(x + 0.044715 x³))). */
    public static Tensor gelu(Tensor x) {
        Tensor xc = x.contiguous();
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).geluForward(xc, out);
        return Node.record(out, "gelu", (g, needs) -> {
            Tensor dx = Tensor.empty(x.device(), x.dtype(), x.shape());
            be(g).geluBackward(xc, g.contiguous(), dx);
            return new Tensor[] {dx};
        }, x);
    }

    /**
     * gelu(x + bias), bias [C] over the rows of x [.., C]: the same values as gelu(add(x, bias)) with one pass each
     * way and no intermediate sum (backward recomputes it from x, which is kept in its place).
     */
    public static Tensor biasGelu(Tensor x, Tensor bias) {
        Tensor xc = x.contiguous(), bc = bias.contiguous();
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).biasGeluForward(xc, bc, out);
        return Node.record(out, "biasGelu", (g, needs) -> {
            Tensor dx = Tensor.empty(x.device(), x.dtype(), x.shape());
            be(g).biasGeluBackward(xc, bc, g.contiguous(), dx);
            return new Tensor[] {needs[0] ? dx : null, needs[1] ? ElementwiseOps.reduceTo(dx, bias) : null};
        }, x, bias);
    }

    /** SiLU (swish): x σ(x). */
    public static Tensor silu(Tensor x) {
        Tensor xc = x.contiguous();
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).siluForward(xc, out);
        return Node.record(out, "silu", (g, needs) -> {
            Tensor dx = Tensor.empty(x.device(), x.dtype(), x.shape());
            be(g).siluBackward(xc, g.contiguous(), dx);
            return new Tensor[] {dx};
        }, x);
    }

    /** Softmax over the last dimension. */
    public static Tensor softmax(Tensor x) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).softmaxForward(x.contiguous(), out);
        return Node.record(out, "softmax", (g, needs) -> {
            Tensor dx = Tensor.empty(x.device(), x.dtype(), x.shape());
            be(g).softmaxBackward(out, g.contiguous(), dx);
            return new Tensor[] {dx};
        }, x);
    }
}
