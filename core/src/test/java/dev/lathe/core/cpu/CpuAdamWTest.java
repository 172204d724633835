package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

import static dev.lathe.core.cpu.EwTestUtil.SIZES;
import static dev.lathe.core.cpu.EwTestUtil.assertClose;
import static dev.lathe.core.cpu.EwTestUtil.floats;
import static dev.lathe.core.cpu.EwTestUtil.random;
import static dev.lathe.core.cpu.EwTestUtil.toDoubles;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CpuAdamWTest {
    private static final float LR = 1e-2f, B1 = 0.9f, B2 = 0.999f, EPS = 1e-8f;

    /** torch.optim.AdamW's single-tensor update, in float64. */
    private static void reference(double[] p, double[] g, double[] m, double[] v, double wd, long t) {
        double bc1 = 1 - Math.pow(B1, t), bc2 = 1 - Math.pow(B2, t);
        for (int i = 0; i < p.length; i++) {
            p[i] *= 1 - LR * wd;
            m[i] = B1 * m[i] + (1 - B1) * g[i];
            v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
            p[i] -= LR / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + EPS);
        }
    }

    private static void checkSteps(int n, float wd) {
        MemorySegment p = random(n, 30, -1, 1), m = floats(n), v = floats(n);
        double[] dp = toDoubles(p, n), dm = new double[n], dv = new double[n];
        for (long t = 1; t <= 4; t++) {
            MemorySegment g = random(n, 30 + t, -0.5, 0.5);
            reference(dp, toDoubles(g, n), dm, dv, wd, t);
            CpuAdamW.step(n, p, g, m, v, LR, B1, B2, EPS, wd, t, 1f);
            // Updates are ~lr = 1e-2 against params ~1: 1e-6 absolute is ~1e-4 of an update. m cancels towards 0
            // when gradients change sign, so its bound is absolute: float rounding of terms ~0.05 is ~1e-8 a step.
            assertClose(dp, p, 1e-6, 1e-6);
            assertClose(dm, m, 1e-5, 1e-7);
            assertClose(dv, v, 1e-5, 1e-10);
        }
    }

    @Test
    void matchesPyTorchFormula() {
        for (int n : SIZES) checkSteps(n, 0.1f);
    }

    @Test
    void matchesPyTorchFormulaWithoutWeightDecay() {
        for (int n : SIZES) checkSteps(n, 0f);
    }

    @Test
    void rejectsStepZero() {
        MemorySegment s = floats(1);
        assertThrows(IllegalArgumentException.class, () -> CpuAdamW.step(1, s, s, s, s, LR, B1, B2, EPS, 0, 0, 1f));
    }
}
