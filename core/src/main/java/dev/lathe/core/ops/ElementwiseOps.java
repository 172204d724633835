package dev.lathe.core.ops;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;

/**
 * Differentiable element-wise arithmetic. In {@code a op b}, b is repeated over a's trailing b.numel()
 * elements: same shape, a bias row [C] against [.., C], or a one-element scalar tensor.
 */
public final class ElementwiseOps {
    private ElementwiseOps() {}

    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = binary(BinaryOp.ADD, a, b);
        return Node.record(out, "add", (g, needs) -> new Tensor[] {
                needs[0] ? g : null,
                needs[1] ? reduceTo(g, b) : null}, a, b);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        Tensor out = binary(BinaryOp.SUB, a, b);
        return Node.record(out, "sub", (g, needs) -> new Tensor[] {
                needs[0] ? g : null,
                needs[1] ? scaleRaw(reduceTo(g, b), -1f) : null}, a, b);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binary(BinaryOp.MUL, a, b);
        return Node.record(out, "mul", (g, needs) -> new Tensor[] {
                needs[0] ? binary(BinaryOp.MUL, g, b) : null,
                needs[1] ? reduceTo(binary(BinaryOp.MUL, g, a), b) : null}, a, b);
    }

    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = binary(BinaryOp.DIV, a, b);
        return Node.record(out, "div", (g, needs) -> {
            Tensor ga = binary(BinaryOp.DIV, g, b);
            // d(a/b)/db = -(a/b)/b = -out/b
            Tensor gb = needs[1] ? scaleRaw(reduceTo(binary(BinaryOp.MUL, ga, out), b), -1f) : null;
            return new Tensor[] {needs[0] ? ga : null, gb};
        }, a, b);
    }

    /** x * alpha. */
    public static Tensor scale(Tensor x, float alpha) {
        Tensor out = scaleRaw(x, alpha);
        return Node.record(out, "scale", (g, needs) -> new Tensor[] {scaleRaw(g, alpha)}, x);
    }

    /** x + s. */
    public static Tensor addScalar(Tensor x, float s) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).addScalar(x.contiguous(), s, out);
        return Node.record(out, "addScalar", (g, needs) -> new Tensor[] {g}, x);
    }

    public static Tensor neg(Tensor x) {
        return scale(x, -1f);
    }

    public static Tensor exp(Tensor x) {
        Tensor out = unary(UnaryOp.EXP, x);
        return Node.record(out, "exp", (g, needs) -> new Tensor[] {binary(BinaryOp.MUL, g, out)}, x);
    }

    public static Tensor log(Tensor x) {
        Tensor out = unary(UnaryOp.LOG, x);
        return Node.record(out, "log", (g, needs) -> new Tensor[] {binary(BinaryOp.DIV, g, x)}, x);
    }

    public static Tensor tanh(Tensor x) {
        Tensor out = unary(UnaryOp.TANH, x);
        return Node.record(out, "tanh", (g, needs) -> {
            // d tanh = 1 - tanh²
            Tensor oneMinusSq = unary(UnaryOp.SQUARE, out);
            be(out).scale(oneMinusSq, -1f, oneMinusSq);
            be(out).addScalar(oneMinusSq, 1f, oneMinusSq);
            return new Tensor[] {binary(BinaryOp.MUL, g, oneMinusSq)};
        }, x);
    }

    public static Tensor sqrt(Tensor x) {
        Tensor out = unary(UnaryOp.SQRT, x);
        return Node.record(out, "sqrt", (g, needs) -> new Tensor[] {scaleRaw(binary(BinaryOp.DIV, g, out), 0.5f)}, x);
    }

    public static Tensor square(Tensor x) {
        Tensor out = unary(UnaryOp.SQUARE, x);
        return Node.record(out, "square", (g, needs) -> new Tensor[] {scaleRaw(binary(BinaryOp.MUL, g, x), 2f)}, x);
    }

    public static Tensor sigmoid(Tensor x) {
        Tensor out = unary(UnaryOp.SIGMOID, x);
        return Node.record(out, "sigmoid", (g, needs) -> {
            // d sigmoid = s (1 - s)
            Tensor oneMinus = Tensor.empty(out.device(), out.dtype(), out.shape());
            be(out).scale(out, -1f, oneMinus);
            be(out).addScalar(oneMinus, 1f, oneMinus);
            Tensor d = binary(BinaryOp.MUL, out, oneMinus);
            return new Tensor[] {binary(BinaryOp.MUL, g, d)};
        }, x);
    }

    // ---------------------------------------------------------------- raw (unrecorded) helpers

    static Backend be(Tensor t) {
        return Backends.of(t);
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Device device = Devices.common(op.name().toLowerCase(java.util.Locale.ROOT), a, b);
        Tensor ac = a.contiguous(), bc = b.contiguous();
        Tensor out = Tensor.empty(device, a.dtype(), a.shape());
        be(a).binary(op, ac, bc, out);
        return out;
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).unary(op, x.contiguous(), out);
        return out;
    }

    static Tensor scaleRaw(Tensor x, float alpha) {
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).scale(x.contiguous(), alpha, out);
        return out;
    }

    /** Sums g over the leading elements it was broadcast across, giving b's shape. */
    static Tensor reduceTo(Tensor g, Tensor b) {
        if (g.numel() == b.numel()) return g.contiguous().view(b.shape());
        Tensor out = Tensor.empty(g.device(), b.dtype(), b.shape());
        be(g).sumRows(g.contiguous(), out);
        return out;
    }
}
