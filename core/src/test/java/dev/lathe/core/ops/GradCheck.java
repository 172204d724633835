package dev.lathe.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks autograd against central finite differences. The checked scalar is L = Σ f(inputs) ⊙ G for a fixed
 * random G, so every output element's gradient path is exercised. L is summed in float64; the perturbation is
 * large enough (1e-2 of a unit-scale input) that float32 rounding in f stays well under the tolerance.
 */
final class GradCheck {
    private GradCheck() {}

    static void check(String what, List<Tensor> inputs, Function<List<Tensor>, Tensor> f) {
        check(what, inputs, f, 1e-2, 2e-2);
    }

    static void check(String what, List<Tensor> inputs, Function<List<Tensor>, Tensor> f, double eps, double tol) {
        for (Tensor x : inputs) {
            if (x.dtype().isFloating()) {
                x.requiresGrad(true);
                x.zeroGrad();
            }
        }
        float[] weights;
        try (var scope = Scope.open()) {
            Tensor out = f.apply(inputs);
            Random rng = new Random(99);
            weights = new float[(int) out.numel()];
            for (int i = 0; i < weights.length; i++) weights[i] = (float) rng.nextGaussian();
            Tensor l = ReduceOps.sum(ElementwiseOps.mul(out, Tensor.of(weights, out.shape())));
            l.backward();
        }
        for (int which = 0; which < inputs.size(); which++) {
            Tensor x = inputs.get(which);
            if (!x.dtype().isFloating()) continue;
            assertNotNull(x.grad(), what + ": input " + which + " got no gradient");
            float[] analytic = x.grad().toFloatArray();
            for (int i = 0; i < x.numel(); i++) {
                float orig = x.getFloat(i);
                x.setFloat(i, (float) (orig + eps));
                double plus = loss(inputs, f, weights);
                x.setFloat(i, (float) (orig - eps));
                double minus = loss(inputs, f, weights);
                x.setFloat(i, orig);
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.abs(numeric - analytic[i]);
                if (err > tol * Math.max(1.0, Math.abs(numeric))) {
                    fail(what + ": d/d input" + which + "[" + i + "] analytic " + analytic[i] + " vs numeric " + numeric);
                }
            }
        }
        for (Tensor x : inputs) x.zeroGrad();
    }

    private static double loss(List<Tensor> inputs, Function<List<Tensor>, Tensor> f, float[] weights) {
        try (var scope = Scope.open(); var noGrad = GradMode.off()) {
            float[] out = f.apply(inputs).toFloatArray();
            assertEquals(weights.length, out.length);
            double s = 0;
            for (int i = 0; i < out.length; i++) s += (double) out[i] * weights[i];
            return s;
        }
    }
}
