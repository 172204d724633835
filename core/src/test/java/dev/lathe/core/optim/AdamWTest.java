package dev.lathe.core.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamWTest {

    /** torch.optim.AdamW's update in float64, one parameter element at a time. */
    private static void reference(double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2,
                                  double eps, double wd, int step) {
        for (int i = 0; i < p.length; i++) {
            p[i] *= 1 - lr * wd;
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mh = m[i] / (1 - Math.pow(b1, step)), vh = v[i] / (1 - Math.pow(b2, step));
            p[i] -= lr * mh / (Math.sqrt(vh) + eps);
        }
    }

    @Test
    void matchesPytorchFormulaWithDecayedAndUndecayedGroups() {
        Random rng = new Random(7);
        int n = 37;
        Tensor w = Tensor.randn(rng, 1f, n).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 1f, n).requiresGrad(true);
        var cfg = new AdamWConfig(0.05f, 0.9f, 0.95f, 1e-8f, 0.1f);
        double[] pw = toD(w), pb = toD(b), mw = new double[n], vw = new double[n], mb = new double[n], vb = new double[n];
        try (var opt = new AdamW(List.of(w), List.of(b), cfg)) {
            for (int step = 1; step <= 4; step++) {
                double[] gw = new double[n], gb = new double[n];
                for (int i = 0; i < n; i++) {
                    gw[i] = (float) rng.nextGaussian();
                    gb[i] = (float) rng.nextGaussian();
                }
                w.setGrad(Scope.escape(() -> Tensor.of(toF(gw), n)));
                b.setGrad(Scope.escape(() -> Tensor.of(toF(gb), n)));
                opt.step();
                reference(pw, gw, mw, vw, 0.05, 0.9, 0.95, 1e-8, 0.1, step);
                reference(pb, gb, mb, vb, 0.05, 0.9, 0.95, 1e-8, 0.0, step);
            }
            assertClose(pw, w.toFloatArray());
            assertClose(pb, b.toFloatArray());
            assertEquals(4, opt.stepCount());
        } finally {
            w.close();
            b.close();
        }
    }

    /**
     * A clip coefficient handed to step(float) gives bit for bit the parameters and moments of clip_grad_norm_
     * (gradients scaled in place) followed by step(): the product g·c is the same float32 either way.
     */
    @Test
    void clipCoefficientInTheStepEqualsClippingTheGradientsFirst() {
        Random rng = new Random(11);
        int n = 53;
        float[] init = new float[n];
        for (int i = 0; i < n; i++) init[i] = (float) rng.nextGaussian();
        var cfg = new AdamWConfig(0.01f, 0.9f, 0.999f, 1e-8f, 0.1f);
        Tensor fused = Tensor.of(init.clone(), n).requiresGrad(true), separate = Tensor.of(init.clone(), n).requiresGrad(true);
        try (var optFused = new AdamW(List.of(fused), cfg); var optSeparate = new AdamW(List.of(separate), cfg)) {
            for (int step = 1; step <= 3; step++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) g[i] = (float) (3 * rng.nextGaussian()); // norm ~ 22: clipped at 1
                fused.setGrad(Scope.escape(() -> Tensor.of(g.clone(), n)));
                separate.setGrad(Scope.escape(() -> Tensor.of(g.clone(), n)));
                GradClip.Clip clip = GradClip.measure(List.of(fused), 1.0);
                assertTrue(clip.coefficient() < 0.1f, "the gradients must be clipped: " + clip);
                assertEquals(clip.norm(), GradClip.clipGradNorm(List.of(separate), 1.0));
                optFused.step(clip.coefficient());
                optSeparate.step();
                assertArrayEquals(g, fused.grad().toFloatArray(), "the CPU reads the gradient, leaving it as it was");
                assertArrayEquals(separate.toFloatArray(), fused.toFloatArray());
                assertArrayEquals(optSeparate.moments(separate).expAvgSq().toFloatArray(),
                        optFused.moments(fused).expAvgSq().toFloatArray());
            }
        } finally {
            fused.close();
            separate.close();
        }
    }

    @Test
    void clipOfANormBelowTheLimitOrNotFiniteIsOne() {
        Tensor w = Tensor.of(new float[] {0.3f, 0.4f}).requiresGrad(true);
        try {
            w.setGrad(Scope.escape(() -> Tensor.of(new float[] {0.3f, 0.4f})));
            assertEquals(1f, GradClip.measure(List.of(w), 1.0).coefficient());
            assertEquals(0.5, GradClip.measure(List.of(w), 1.0).norm(), 1e-7);
            assertEquals(1f, GradClip.measure(List.of(w), 0.0).coefficient(), "max norm 0: no clipping");
            assertEquals(0.5, GradClip.measure(List.of(w), 0.0).norm(), 1e-7);
            w.setGrad(Scope.escape(() -> Tensor.of(new float[] {Float.NaN, 0.4f})));
            assertEquals(1f, GradClip.measure(List.of(w), 1.0).coefficient());
        } finally {
            w.close();
        }
    }

    @Test
    void parametersWithoutGradientsAreSkipped() {
        Tensor w = Tensor.of(new float[] {1, 2, 3}).requiresGrad(true);
        try (var opt = new AdamW(List.of(w), AdamWConfig.pytorchDefaults())) {
            opt.step();
            assertEquals(2f, w.getFloat(1));
        } finally {
            w.close();
        }
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        var torch = AdamWConfig.pytorchDefaults();
        assertEquals(1e-3f, torch.lr());
        assertEquals(0.9f, torch.beta1());
        assertEquals(0.999f, torch.beta2());
        assertEquals(1e-8f, torch.eps());
        assertEquals(0.01f, torch.weightDecay());
        var trl = AdamWConfig.trlDefaults();
        assertEquals(5e-5f, trl.lr());
        assertEquals(0f, trl.weightDecay());
    }

    private static void assertClose(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])));
    }

    private static double[] toD(Tensor t) {
        float[] f = t.toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static float[] toF(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
