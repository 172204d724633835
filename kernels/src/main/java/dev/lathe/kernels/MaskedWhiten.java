package dev.lathe.kernels;

import dev.lathe.core.Tensor;

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
}
