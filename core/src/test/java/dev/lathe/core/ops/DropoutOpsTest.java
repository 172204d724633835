package dev.lathe.core.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.DropoutMask;
import dev.lathe.core.nn.Dropout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * DropoutOps.dropout against a float64 composition x · m / (1 − p) with m drawn from DropoutMask's definition:
 * values and the gradient, the kept rate within a binomial tolerance, p = 0 as the identity, and a mask fixed by
 * the seed alone.
 */
class DropoutOpsTest {
    @Test
    void valuesAndGradientMatchTheMaskedReference() {
        float p = 0.3f;
        long seed = 0x1234_5678_9ABCL;
        int rows = 37, cols = 11; // odd sizes: the kernel's element blocks do not line up with rows
        float[] x = random(rows * cols, 1), g = random(rows * cols, 2);
        long threshold = DropoutMask.threshold(p);
        try (var scope = Scope.open()) {
            Tensor xt = Tensor.of(x, rows, cols).requiresGrad(true);
            Tensor out = DropoutOps.dropout(xt, p, seed);
            ReduceOps.sum(ElementwiseOps.mul(out, Tensor.of(g, rows, cols))).backward();
            float[] got = out.toFloatArray(), dx = xt.grad().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                double m = DropoutMask.keep(seed, i, threshold) ? 1.0 / (1.0 - p) : 0.0;
                assertEquals(x[i] * m, got[i], 1e-6 * (1 + Math.abs(x[i] * m)), "out " + i);
                assertEquals(g[i] * m, dx[i], 1e-6 * (1 + Math.abs(g[i] * m)), "dx " + i);
            }
        }
    }

    @Test
    void keptFractionIsWithinBinomialTolerance() {
        int n = 200_003;
        for (float p : new float[] {0.1f, 0.5f, 0.9f}) {
            try (var scope = Scope.open()) {
                float[] out = DropoutOps.dropout(Tensor.full(1f, n), p, 42L + (long) (p * 10)).toFloatArray();
                int kept = 0;
                for (float v : out) {
                    if (v != 0f) {
                        kept++;
                        assertEquals(1.0 / (1.0 - p), v, 1e-6 / (1 - p), "kept value");
                    }
                }
                double mean = n * (1 - p), sd = Math.sqrt(n * p * (1 - p));
                assertTrue(Math.abs(kept - mean) < 5 * sd, "p=" + p + ": kept " + kept + " of " + n + ", expected " + mean);
            }
        }
    }

    @Test
    void zeroProbabilityIsTheIdentity() {
        try (var scope = Scope.open()) {
            Tensor x = Tensor.of(random(10, 3), 2, 5);
            assertSame(x, DropoutOps.dropout(x, 0f, 7L));
        }
        assertThrows(IllegalArgumentException.class, () -> DropoutMask.threshold(1f));
        assertThrows(IllegalArgumentException.class, () -> DropoutMask.threshold(-0.1f));
    }

    @Test
    void maskDependsOnlyOnTheSeed() {
        float[] x = random(50_000, 4);
        try (var scope = Scope.open()) {
            float[] a = DropoutOps.dropout(Tensor.of(x, x.length), 0.5f, 11L).toFloatArray();
            float[] b = DropoutOps.dropout(Tensor.of(x, x.length), 0.5f, 11L).toFloatArray();
            float[] c = DropoutOps.dropout(Tensor.of(x, x.length), 0.5f, 12L).toFloatArray();
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c), "another seed draws another mask");
        }
    }

    @Test
    void dropoutModuleIsOffUntilEnabledAndInEvalMode() {
        try (var scope = Scope.open(); Dropout drop = new Dropout()) {
            Tensor x = Tensor.of(random(64, 5), 64);
            assertSame(x, drop.forward(x), "p is 0 until enabled");
            Dropout.enableAll(drop, 0.5f, 3L);
            float[] first = drop.forward(x).toFloatArray(), second = drop.forward(x).toFloatArray();
            assertFalse(java.util.Arrays.equals(first, second), "each call draws a fresh key");
            drop.eval();
            assertSame(x, drop.forward(x), "evaluation mode is the identity");
        }
    }

    private static float[] random(int n, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }
}
