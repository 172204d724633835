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
