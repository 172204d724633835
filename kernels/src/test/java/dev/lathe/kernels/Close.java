package dev.lathe.kernels;

import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparisons against float64 references. */
final class Close {
    private Close() {}

    /** |got − want| ≤ rel · max(|want|, floor) for every element. */
    static void assertClose(String what, double[] want, float[] got, double rel, double floor) {
        if (want.length != got.length) fail(what + ": length " + got.length + " != " + want.length);
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= rel * Math.max(Math.abs(want[i]), floor))) {
                fail(what + "[" + i + "]: got " + got[i] + ", want " + want[i]);
            }
        }
    }

    /** Every element within rel · (largest |want|): for gradients, whose small entries carry cancellation. */
    static void assertCloseToScale(String what, double[] want, float[] got, double rel) {
        double scale = 0;
        for (double x : want) scale = Math.max(scale, Math.abs(x));
        if (want.length != got.length) fail(what + ": length " + got.length + " != " + want.length);
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= rel * scale)) fail(what + "[" + i + "]: got " + got[i] + ", want " + want[i]);
        }
    }

    static void assertClose(String what, double want, double got, double rel, double floor) {
        if (!(Math.abs(got - want) <= rel * Math.max(Math.abs(want), floor))) fail(what + ": got " + got + ", want " + want);
    }
}
