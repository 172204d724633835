package dev.lathe.kernels;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;

/**
 * Element-wise and row-wise pieces for the kernels' device paths, built only from the {@link Backend} SPI so
 * they run on any device backend. Every method returns a new float32 tensor on its inputs' device (owned by
 * the current scope, if one is open); inputs are contiguous float32 tensors of one device.
 */
final class DeviceMath {
    /** 2⁶⁴: three multiplications by it take the smallest positive float (2⁻¹⁴⁹) above 1. */
    private static final float TWO_64 = 0x1p64f;

    private DeviceMath() {}

    static Backend backend(Tensor t) {
        return Backends.of(t);
    }

    static Tensor empty(Device device, int... shape) {
        return Tensor.empty(device, DType.F32, shape);
    }

    /** {@code t} itself when it already lives on {@code device}, else a copy there (host → device: no read back). */
    static Tensor on(Device device, Tensor t) {
        if (t == null) return null;
        Tensor rowMajor = t.device() == device ? t : t.to(device);
        return rowMajor.isTransposed() ? copy(rowMajor) : rowMajor;
    }

    /** A row-major copy (a transposed view arrives row-major). */
    static Tensor copy(Tensor t) {
        Tensor out = Tensor.empty(t.device(), t.dtype(), t.shape());
        backend(t).copy(t, out);
        return out;
    }

    static Tensor full(Device device, float value, int... shape) {
        Tensor out = empty(device, shape);
        Backends.of(device).fill(out, value);
        return out;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Tensor out = empty(a.device(), a.shape());
        backend(a).binary(op, a, b, out);
        return out;
    }

    static Tensor add(Tensor a, Tensor b) {
        return binary(BinaryOp.ADD, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        return binary(BinaryOp.SUB, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        return binary(BinaryOp.MUL, a, b);
    }

    static Tensor div(Tensor a, Tensor b) {
        return binary(BinaryOp.DIV, a, b);
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = empty(x.device(), x.shape());
        backend(x).unary(op, x, out);
        return out;
    }

    /** alpha·x. */
    static Tensor scale(Tensor x, double alpha) {
        Tensor out = empty(x.device(), x.shape());
        backend(x).scale(x, (float) alpha, out);
        return out;
    }

    /** x + s. */
    static Tensor plus(Tensor x, double s) {
        Tensor out = empty(x.device(), x.shape());
        backend(x).addScalar(x, (float) s, out);
        return out;
    }

    /** s − x. */
    static Tensor minusFrom(double s, Tensor x) {
        return plus(scale(x, -1), s);
    }

    /** max(x, lo) = lo + relu(x − lo); lo is a tensor of x's shape. */
    static Tensor atLeast(Tensor x, Tensor lo) {
        return add(lo, unary(UnaryOp.RELU, sub(x, lo)));
    }

    /** min(x, hi) = hi − relu(hi − x); hi is a tensor of x's shape. */
    static Tensor atMost(Tensor x, Tensor hi) {
        return sub(hi, unary(UnaryOp.RELU, sub(hi, x)));
    }

    /** clip(x, lo, hi) for scalar bounds. */
    static Tensor clip(Tensor x, double lo, double hi) {
        Tensor above = plus(unary(UnaryOp.RELU, plus(x, -lo)), lo);
        return minusFrom(hi, unary(UnaryOp.RELU, minusFrom(hi, above)));
    }

    /**
     * [x > 0] exactly (1 or 0; NaN stays NaN): relu(x)·2¹⁹² is at least 2⁴³ for every positive float
     * (denormals included) and may overflow to +∞; min(that, 1) = 1 − relu(1 − that) is then exactly 1.
     */
    static Tensor positive(Tensor x) {
        Tensor r = unary(UnaryOp.RELU, x);
        for (int i = 0; i < 3; i++) r = scale(r, TWO_64);
        return minusFrom(1, unary(UnaryOp.RELU, minusFrom(1, r)));
    }

    /** [x ≠ 0] exactly: a mask of any weights as 0/1. */
    static Tensor nonZero(Tensor x) {
        return positive(unary(UnaryOp.ABS, x));
    }

    /** Σ x as a scalar tensor on x's device (no read back). */
    static Tensor total(Tensor x) {
        Tensor out = empty(x.device()); // a scalar: shape [], as Tensor.scalar
        backend(x).rowSum(x.view(1, Math.toIntExact(x.numel())), out);
        return out;
    }

    /** s [rows] repeated along each row: [rows, cols] = s[rows, 1] @ ones[1, cols] (the SPI broadcasts only trailing dims). */
    static Tensor rowBroadcast(Tensor s, int cols) {
        int rows = Math.toIntExact(s.numel());
        Tensor out = empty(s.device(), rows, cols);
        backend(s).matmul(s.view(rows, 1), full(s.device(), 1f, 1, cols), out, 1f, 0f);
        return out;
    }

    /**
     * {@code grad} times the upstream gradient {@code g} of a scalar output (one element, on any device), as a
     * new tensor; {@code grad} itself for a host 1, the usual seed of a backward pass.
     */
    static Tensor timesUpstream(Tensor grad, Tensor g) {
        if (grad == null || (g.device() == Device.CPU && g.item() == 1f)) return grad;
        Tensor out = empty(grad.device(), grad.shape());
        Tensor flat = g.contiguous().view(1);
        Tensor onDevice = flat.device() == grad.device() ? flat : flat.to(grad.device());
        backend(grad).binary(BinaryOp.MUL, grad, onDevice, out);
        if (onDevice != flat) onDevice.close();
        flat.close();
        return out;
    }
}
