package dev.lathe.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraModel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A LoRA Conv1D on odd sizes against float64: y = x W + b + s · x Aᵀ Bᵀ and the gradients of x, A and B. */
class Conv1DLoraTest {
    /** A one-layer module so that LoraModel finds the Conv1D under the name "proj". */
    private static final class OneLayer extends dev.lathe.core.nn.Module {
        final Conv1D proj;

        OneLayer(int in, int out, Random rng) {
            proj = child("proj", new Conv1D(in, out, 0.5f, Gpt2Init.random(rng)));
        }
    }

    @Test
    void forwardAndBackwardMatchFloat64() {
        int rows = 5, in = 7, out = 11, r = 3;
        double alpha = 5, s = alpha / r;
        Random rng = new Random(3);
        try (OneLayer m = new OneLayer(in, out, rng)) {
            float[] bias = gaussian(rng, out);
            m.proj.bias().copyFrom(bias);
            LoraModel lora = LoraModel.attach(m, LoraConfig.causalLm(r, alpha, 0, List.of("proj"), "x"), rng);
            float[] w = m.proj.weight().toFloatArray(), a = m.proj.lora().a().weight().toFloatArray();
            float[] b = gaussian(rng, out * r);
            m.proj.lora().b().weight().copyFrom(b);
            float[] x = gaussian(rng, rows * in), g = gaussian(rng, rows * out);
            float[] y;
            Tensor xt = Tensor.of(x, rows, in).requiresGrad(true);
            try (var scope = Scope.open()) {
                Tensor yt = m.proj.forward(xt);
                y = yt.toFloatArray();
                ReduceOps.sum(ElementwiseOps.mul(yt, Tensor.of(g, rows, out))).backward();
            }
            // float64 reference: u = x Aᵀ [rows, r], y = x W + b + s u Bᵀ; dL/dy = g.
            double[] u = new double[rows * r];
            for (int i = 0; i < rows; i++)
                for (int k = 0; k < r; k++)
                    for (int j = 0; j < in; j++) u[i * r + k] += (double) x[i * in + j] * a[k * in + j];
            for (int i = 0; i < rows; i++) {
                for (int o = 0; o < out; o++) {
                    double want = bias[o];
                    for (int j = 0; j < in; j++) want += (double) x[i * in + j] * w[j * out + o];
                    for (int k = 0; k < r; k++) want += s * u[i * r + k] * b[o * r + k];
                    close(want, y[i * out + o], "y");
                }
            }
            double[] gb = new double[rows * r]; // g B [rows, r]
            for (int i = 0; i < rows; i++)
                for (int k = 0; k < r; k++)
                    for (int o = 0; o < out; o++) gb[i * r + k] += (double) g[i * out + o] * b[o * r + k];
            float[] dB = m.proj.lora().b().weight().grad().toFloatArray();
            for (int o = 0; o < out; o++)
                for (int k = 0; k < r; k++) {
                    double want = 0;
                    for (int i = 0; i < rows; i++) want += s * g[i * out + o] * u[i * r + k];
                    close(want, dB[o * r + k], "dB");
                }
            float[] dA = m.proj.lora().a().weight().grad().toFloatArray();
            for (int k = 0; k < r; k++)
                for (int j = 0; j < in; j++) {
                    double want = 0;
                    for (int i = 0; i < rows; i++) want += s * gb[i * r + k] * x[i * in + j];
                    close(want, dA[k * in + j], "dA");
                }
            float[] dx = xt.grad().toFloatArray();
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < in; j++) {
                    double want = 0;
                    for (int o = 0; o < out; o++) want += (double) g[i * out + o] * w[j * out + o];
                    for (int k = 0; k < r; k++) want += s * gb[i * r + k] * a[k * in + j];
                    close(want, dx[i * in + j], "dx");
                }
            assertNull(m.proj.weight().grad());
            assertNull(m.proj.bias().grad());
            assertEquals(2, lora.trainableParameters().size());
            xt.close();
        }
    }

    private static void close(double want, float got, String what) {
        assertTrue(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), what + ": got " + got + ", want " + want);
    }

    private static float[] gaussian(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
