package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import dev.lathe.core.cuda.CudaLaunch;

/**
 * TRL's {@code masked_whiten}: (x − mean) / sqrt(var + 1e-8) over the masked elements, with the unbiased
 * (Bessel-corrected) variance; {@code shiftMean = false} adds the mean back (how TRL whitens rewards).
 * Elements outside the mask are set to 0, as PPO does right after whitening.
 *
 * <pre>
 * x, mask : [B, T]   →   [B, T]
 * </pre>
 */
public final class MaskedWhiten {
    /** TRL's epsilon inside the square root. */
    public static final double EPS = 1e-8;

    private MaskedWhiten() {}

    public static Tensor whiten(Tensor x, Tensor mask, boolean shiftMean) {
        MaskedStats.sameShape(x, mask);
        if (x.device() != Device.CPU) return onDevice(x, mask, shiftMean);
        double[] v = MaskedStats.doubles(x), m = MaskedStats.doubles(mask);
        double mean = MaskedStats.mean(v, m);
        double inv = 1 / Math.sqrt(MaskedStats.unbiasedVariance(v, m) + EPS);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double w = (v[i] - mean) * inv + (shiftMean ? 0 : mean);
            out[i] = m[i] != 0 ? w : 0;
        }
        return MaskedStats.tensor(out, x.shape());
    }

    /**
     * The device form, with nothing read back: on a real GPU {@code gae.cu}'s masked_moments + masked_whiten,
     * elsewhere the same statistics as one-element device tensors from the Backend SPI. Fewer than two masked
     * elements give inf/NaN there instead of the host's exception (checking would need a read back).
     */
    private static Tensor onDevice(Tensor x, Tensor mask, boolean shiftMean) {
        Device device = x.device();
        Tensor out = DeviceMath.empty(device, x.shape());
        int n = Math.toIntExact(x.numel());
        try (Scope tmp = Scope.open()) {
            Tensor xd = DeviceMath.on(device, x), m = DeviceMath.on(device, mask);
            if (GpuKernels.active(xd)) {
                Tensor moments = GpuKernels.doubles(device, 3);
                CudaLaunch.launch(GpuKernels.MASKED_MOMENTS, 1, 1, 1, 1024, 1, 1, xd, m, moments, n);
                GpuKernels.launchPerElement(GpuKernels.MASKED_WHITEN, n, xd, m, moments, out, n, shiftMean ? 1 : 0);
                return out;
            }
            Tensor count = DeviceMath.total(m);
            Tensor mean = DeviceMath.div(DeviceMath.total(DeviceMath.mul(xd, m)), count);
            Tensor centred = DeviceMath.sub(xd, mean);
            Tensor squares = DeviceMath.total(DeviceMath.mul(DeviceMath.unary(UnaryOp.SQUARE, centred), m));
            Tensor variance = DeviceMath.div(squares, DeviceMath.plus(count, -1)); // Σ m·c² / (n − 1): unbiased
            Tensor whitened = DeviceMath.mul(centred, DeviceMath.unary(UnaryOp.RSQRT, DeviceMath.plus(variance, EPS)));
            if (!shiftMean) whitened = DeviceMath.add(whitened, mean);
            DeviceMath.backend(out).binary(BinaryOp.MUL, whitened, DeviceMath.nonZero(m), out);
        }
        return out;
    }
}
