package dev.lathe.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Rotary embedding against a float64 rotate-half reference, and its backward against finite differences. */
class RotaryOpsTest {
    private static final int B = 2, T = 3, HEADS = 2, D = 6, HALF = D / 2;

    @Test
    void forwardMatchesFloat64RotateHalf() {
        Random rng = new Random(7);
        double[] x = gaussian(rng, B * T * HEADS * D);
        double[] angle = new double[B * T * HALF];
        for (int i = 0; i < angle.length; i++) angle[i] = rng.nextDouble() * 10 - 5;
        try (var s = Scope.open()) {
            float[] got = RotaryOps.rotary(Tensor.of(floats(x), B, T, HEADS * D), cosOf(angle), sinOf(angle)).toFloatArray();
            for (int r = 0; r < B * T; r++) {
                for (int h = 0; h < HEADS; h++) {
                    int base = r * HEADS * D + h * D;
                    for (int i = 0; i < D; i++) {
                        double a = angle[r * HALF + i % HALF];
                        // rotate_half(x) = (−x2 | x1); out = x·cos + rotate_half(x)·sin
                        double rotated = i < HALF ? -x[base + i + HALF] : x[base + i - HALF];
                        double want = x[base + i] * Math.cos(a) + rotated * Math.sin(a);
                        assertEquals(want, got[base + i], 1e-5, "row " + r + " head " + h + " col " + i);
                    }
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(8);
        double[] angle = new double[B * T * HALF];
        for (int i = 0; i < angle.length; i++) angle[i] = rng.nextDouble() * 6 - 3;
        Tensor x = Tensor.of(floats(gaussian(rng, B * T * HEADS * D)), B, T, HEADS * D);
        Tensor cos = Scope.escape(() -> cosOf(angle)), sin = Scope.escape(() -> sinOf(angle));
        GradCheck.check("rotary", List.of(x), in -> RotaryOps.rotary(in.get(0), cos, sin));
        x.close();
        cos.close();
        sin.close();
    }

    private static Tensor cosOf(double[] angle) {
        float[] c = new float[angle.length];
        for (int i = 0; i < c.length; i++) c[i] = (float) Math.cos(angle[i]);
        return Tensor.of(c, B * T, HALF);
    }

    private static Tensor sinOf(double[] angle) {
        float[] c = new float[angle.length];
        for (int i = 0; i < c.length; i++) c[i] = (float) Math.sin(angle[i]);
        return Tensor.of(c, B * T, HALF);
    }

    private static double[] gaussian(Random rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextGaussian();
        return v;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
