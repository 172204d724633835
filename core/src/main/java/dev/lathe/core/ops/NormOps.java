package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;

/** LayerNorm and RMSNorm over the last dimension; each saves its per-row statistics for one-pass backward. */
public final class NormOps {
    private NormOps() {}

    /** PyTorch LayerNorm (biased variance): (x - mean) * rstd * gamma + beta; beta may be null. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        Device device = Devices.common("layerNorm", x, gamma, beta);
        Tensor xc = x.contiguous();
        int rows = rowCount(xc);
        Tensor out = Tensor.empty(device, x.dtype(), x.shape());
        Tensor mean = Tensor.empty(device, DType.F32, rows), rstd = Tensor.empty(device, DType.F32, rows);
        be(x).layerNormForward(xc, gamma, beta, eps, out, mean, rstd);
        return Node.record(out, "layerNorm", (g, needs) -> {
            Tensor dx = Tensor.empty(device, x.dtype(), x.shape());
            Tensor dgamma = Tensor.empty(device, gamma.dtype(), gamma.shape());
            Tensor dbeta = beta == null ? null : Tensor.empty(device, beta.dtype(), beta.shape());
            be(g).layerNormBackward(g.contiguous(), xc, gamma, mean, rstd, dx, dgamma, dbeta);
            return new Tensor[] {dx, dgamma, dbeta};
        }, x, gamma, beta);
    }

    /** Llama/Qwen RMSNorm: x * rsqrt(mean(x²) + eps) * weight. */
    public static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Device device = Devices.common("rmsNorm", x, weight);
        Tensor xc = x.contiguous();
        Tensor out = Tensor.empty(device, x.dtype(), x.shape());
        Tensor rstd = Tensor.empty(device, DType.F32, rowCount(xc));
        be(x).rmsNormForward(xc, weight, eps, out, rstd);
        return Node.record(out, "rmsNorm", (g, needs) -> {
            Tensor dx = Tensor.empty(device, x.dtype(), x.shape());
            Tensor dweight = Tensor.empty(device, weight.dtype(), weight.shape());
            be(g).rmsNormBackward(g.contiguous(), xc, weight, rstd, dx, dweight);
            return new Tensor[] {dx, dweight};
        }, x, weight);
    }

    static int rowCount(Tensor x) {
        int c = x.dim(-1);
        return c == 0 ? 0 : Math.toIntExact(x.numel() / c);
    }
}
