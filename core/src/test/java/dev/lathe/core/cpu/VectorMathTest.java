package dev.lathe.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * VectorMath's exp, log and tanh against float64 Math, in ulps of the float result, and at special values; its lane
 * sums against the same pairwise tree added in scalar code.
 */
class VectorMathTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void expIsWithinTwoUlpsAcrossTheFloatRange() {
        assertUlps(VectorMath::exp, Math::exp, sample(-103.9, 88.7), 2);
        assertUlps(VectorMath::exp, Math::exp, sample(-1, 1), 2);
    }

    @Test
    void logIsWithinTwoUlpsFromSubnormalsToLargeValues() {
        float[] xs = new float[4096];
        Random rng = new Random(2);
        for (int i = 0; i < xs.length; i++) xs[i] = (float) Math.pow(2, -148 + rng.nextDouble() * 275);
        assertUlps(VectorMath::log, Math::log, xs, 2);
        assertUlps(VectorMath::log, Math::log, sample(0.5, 2), 2);
    }

    @Test
    void tanhIsWithinTwoUlpsOnBothBranches() {
        assertUlps(VectorMath::tanh, Math::tanh, sample(-12, 12), 2);
        assertUlps(VectorMath::tanh, Math::tanh, sample(-0.7, 0.7), 2);
    }

    @Test
    void lanesAddUpPairwiseInAFixedTree() {
        Random rng = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            float[] a = new float[L];
            double[] d = new double[L];
            for (int i = 0; i < L; i++) {
                a[i] = (float) (rng.nextGaussian() * Math.exp(3 * rng.nextGaussian()));
                d[i] = a[i] * 1.000001;
            }
            // The same tree in scalar code: lane i += lane i ^ h for h = L/2, ..., 1.
            float[] fa = a.clone();
            for (int h = L / 2; h >= 1; h /= 2) {
                float[] next = fa.clone();
                for (int i = 0; i < L; i++) next[i] = fa[i] + fa[i ^ h];
                fa = next;
            }
            assertEquals(Float.floatToIntBits(fa[0]),
                    Float.floatToIntBits(VectorMath.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, a, 0))));
            int dl = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
            double[] da = Arrays.copyOf(d, dl);
            for (int h = dl / 2; h >= 1; h /= 2) {
                double[] next = da.clone();
                for (int i = 0; i < dl; i++) next[i] = da[i] + da[i ^ h];
                da = next;
            }
            assertEquals(da[0], VectorMath.sum(jdk.incubator.vector.DoubleVector.fromArray(
                    jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED, d, 0)));
        }
    }

    @Test
    void specialValuesFollowMath() {
        float[] xs = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f, -1f, 1e-30f, 100f, -200f};
        for (float x : xs) {
            assertSame((float) Math.exp(x), apply(VectorMath::exp, x), "exp " + x);
            assertSame((float) Math.log(x), apply(VectorMath::log, x), "log " + x);
            assertSame((float) Math.tanh(x), apply(VectorMath::tanh, x), "tanh " + x);
        }
    }

    private static void assertSame(float want, float got, String what) {
        assertEquals(Float.isNaN(want), Float.isNaN(got), what + ": got " + got + ", want " + want);
        if (!Float.isNaN(want)) assertEquals(want, got, Math.ulp(want), what);
    }

    private static float[] sample(double lo, double hi) {
        float[] xs = new float[4096];
        Random rng = new Random(1);
        for (int i = 0; i < xs.length; i++) xs[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return xs;
    }

    private static void assertUlps(UnaryOperator<FloatVector> f, DoubleUnaryOperator ref, float[] xs, int ulps) {
        for (float x : xs) {
            double want = ref.applyAsDouble(x);
            float got = apply(f, x);
            // Subnormal results are judged on the absolute scale of the smallest normal's ulp.
            double ulp = Math.max(Math.ulp((float) want), Math.ulp(Float.MIN_NORMAL));
            assertTrue(Math.abs(got - want) <= ulps * ulp, "x = " + x + ": got " + got + ", want " + want);
        }
    }

    private static float apply(UnaryOperator<FloatVector> f, float x) {
        float[] lanes = new float[L];
        Arrays.fill(lanes, x);
        return f.apply(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, lanes, 0)).lane(L - 1);
    }
}
