package dev.lathe.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraLinearReference;
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
            LoraLinearReference.check(rows, in, out, r, s, true, x, w, bias, a, b, g, y,
                    m.proj.lora().a().weight().grad().toFloatArray(), m.proj.lora().b().weight().grad().toFloatArray(),
                    xt.grad().toFloatArray());
            assertNull(m.proj.weight().grad());
            assertNull(m.proj.bias().grad());
            assertEquals(2, lora.trainableParameters().size());
            xt.close();
        }
    }

    private static float[] gaussian(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
