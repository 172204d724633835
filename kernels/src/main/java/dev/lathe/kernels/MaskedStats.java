package dev.lathe.kernels;

import dev.lathe.core.Tensor;
import java.util.Arrays;

/** Float64 masked reductions over [B, T] arrays (TRL's masked_mean / masked_var), and tensor ↔ array plumbing. */
final class MaskedStats {
    private MaskedStats() {}

    /** Σ x·mask / Σ mask. */
    static double mean(double[] x, double[] mask) {
        double s = 0, n = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * mask[i];
            n += mask[i];
        }
        return s / n;
    }

    /** Masked variance with Bessel's correction (n / (n − 1)), as TRL's masked_var(unbiased=True). */
    static double unbiasedVariance(double[] x, double[] mask) {
        double mean = mean(x, mask), s = 0, n = 0;
        for (int i = 0; i < x.length; i++) {
            double c = x[i] - mean;
            s += c * c * mask[i];
            n += mask[i];
        }
        if (n < 2) throw new IllegalArgumentException("unbiased variance needs at least 2 masked elements, got " + n);
        return s / n * (n / (n - 1));
    }

    /** The elements of a float tensor, widened to double. */
    static double[] doubles(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** A float32 tensor of {@code shape} holding {@code values}. */
    static Tensor tensor(double[] values, int[] shape) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return Tensor.of(f, shape);
    }

    /** Throws unless every tensor has {@code first}'s shape. */
    static void sameShape(Tensor first, Tensor... others) {
        for (Tensor t : others) {
            if (t != null && !Arrays.equals(first.shape(), t.shape())) {
                throw new IllegalArgumentException("shape mismatch: " + first + " vs " + t);
            }
        }
    }
}
