package dev.lathe.train.rollout;

import dev.lathe.core.Tensor;

/** Row-major [B, R] rollout numbers kept as float arrays between the rollout and the updates. */
public final class RowArrays {
    private RowArrays() {}

    /** The rows {@code rows} of {@code data} ([B·width], row-major) as a new tensor [rows.length, width]. */
    public static Tensor rows(float[] data, int width, int[] rows) {
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) System.arraycopy(data, rows[i] * width, out, i * width, width);
        return Tensor.of(out, rows.length, width);
    }

    /** Σ over each row of x·mask, averaged over the rows (TRL's {@code (x * mask).sum(1).mean()}). */
    public static double meanRowSum(float[] x, float[] mask, int width) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * mask[i];
        return s / (x.length / width);
    }

    public static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }
}
