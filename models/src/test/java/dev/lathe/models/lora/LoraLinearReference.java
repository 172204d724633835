package dev.lathe.models.lora;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float64 reference of one LoRA-adapted projection, y = x W + b + s · x Aᵀ Bᵀ with x [rows, in], A [r, in],
 * B [out, r], and its gradients under an upstream dL/dy = g [rows, out]. W is stored either as a Linear's
 * [out, in] or as GPT-2's Conv1D [in, out]. Each computed value must agree within 1e-5 relative.
 */
public final class LoraLinearReference {
    private LoraLinearReference() {}

    /** Checks y, dB, dA and dx of the layer against the float64 reference. */
    public static void check(int rows, int in, int out, int r, double s, boolean weightInOut, float[] x, float[] w,
                             float[] bias, float[] a, float[] b, float[] g, float[] y, float[] dA, float[] dB, float[] dx) {
        double[] u = new double[rows * r]; // x Aᵀ [rows, r]
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < r; k++)
                for (int j = 0; j < in; j++) u[i * r + k] += (double) x[i * in + j] * a[k * in + j];
        for (int i = 0; i < rows; i++)
            for (int o = 0; o < out; o++) {
                double want = bias[o];
                for (int j = 0; j < in; j++) want += (double) x[i * in + j] * weight(w, weightInOut, in, out, j, o);
                for (int k = 0; k < r; k++) want += s * u[i * r + k] * b[o * r + k];
                close(want, y[i * out + o], "y");
            }
        double[] gb = new double[rows * r]; // g B [rows, r]
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < r; k++)
                for (int o = 0; o < out; o++) gb[i * r + k] += (double) g[i * out + o] * b[o * r + k];
        for (int o = 0; o < out; o++)
            for (int k = 0; k < r; k++) {
                double want = 0;
                for (int i = 0; i < rows; i++) want += s * g[i * out + o] * u[i * r + k];
                close(want, dB[o * r + k], "dB");
            }
        for (int k = 0; k < r; k++)
            for (int j = 0; j < in; j++) {
                double want = 0;
                for (int i = 0; i < rows; i++) want += s * gb[i * r + k] * x[i * in + j];
                close(want, dA[k * in + j], "dA");
            }
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < in; j++) {
                double want = 0;
                for (int o = 0; o < out; o++) want += (double) g[i * out + o] * weight(w, weightInOut, in, out, j, o);
                for (int k = 0; k < r; k++) want += s * gb[i * r + k] * a[k * in + j];
                close(want, dx[i * in + j], "dx");
            }
    }

    /** W[j → o]: element (j, o) of a Conv1D [in, out] or (o, j) of a Linear [out, in]. */
    private static double weight(float[] w, boolean inOut, int in, int out, int j, int o) {
        return inOut ? w[j * out + o] : w[o * in + j];
    }

    private static void close(double want, float got, String what) {
        assertTrue(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), what + ": got " + got + ", want " + want);
    }
}
