package dev.lathe.core.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane sums and exp, log and tanh of vectors (Cephes' single-precision polynomials, within 2 ulp of the float64
 * values) built only from IEEE add, multiply, fma, compares and lane moves, so they give the same bits whether
 * the code runs interpreted or compiled.
 *
 * <p>Why not {@code reduceLanes(ADD)} and {@code lanewise(EXP)}: compiled code adds the lanes in a tree and
 * computes exp with an intrinsic math library, while the interpreter adds them in lane order and calls
 * {@code Math.exp} per lane. The results differ in the last bit, so a kernel depended on how far the JIT had got
 * and two identical training runs drifted apart. These functions are what makes training runs (and resumed
 * runs) reproducible.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Lane i ↔ lane i ^ h: each sum step adds a vector to itself with these lanes swapped (unused ones never run). */
    private static final VectorShuffle<Float> F8 = VectorShuffle.fromOp(S, i -> i ^ 8);
    private static final VectorShuffle<Float> F4 = VectorShuffle.fromOp(S, i -> i ^ 4);
    private static final VectorShuffle<Float> F2 = VectorShuffle.fromOp(S, i -> i ^ 2);
    private static final VectorShuffle<Float> F1 = VectorShuffle.fromOp(S, i -> i ^ 1);
    private static final VectorShuffle<Double> D4 = VectorShuffle.fromOp(D, i -> i ^ 4);
    private static final VectorShuffle<Double> D2 = VectorShuffle.fromOp(D, i -> i ^ 2);
    private static final VectorShuffle<Double> D1 = VectorShuffle.fromOp(D, i -> i ^ 1);
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** ln 2 split in two: LN2_HI has few mantissa bits, so n · LN2_HI is exact for |n| ≤ 2^9. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Below this exp underflows to 0 even as a subnormal; above this it overflows to infinity. */
    private static final float EXP_LOW = -104f;
    private static final float EXP_HIGH = 89f;
    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float TANH_SMALL = 0.625f;

    private VectorMath() {}

    /** Σ of the lanes, added pairwise as a tree (lanes i and i ^ h for h = L/2, …, 1); up to 16 lanes. */
    public static float sum(FloatVector v) {
        int lanes = S.length();
        if (lanes > 16) throw new IllegalStateException(lanes + " float lanes");
        if (lanes == 16) v = v.add(v.rearrange(F8));
        if (lanes >= 8) v = v.add(v.rearrange(F4));
        if (lanes >= 4) v = v.add(v.rearrange(F2));
        if (lanes >= 2) v = v.add(v.rearrange(F1));
        return v.lane(0);
    }

    /** Σ of the lanes of a float64 vector, as {@link #sum(FloatVector)}; up to 8 lanes. */
    public static double sum(DoubleVector v) {
        int lanes = D.length();
        if (lanes > 8) throw new IllegalStateException(lanes + " double lanes");
        if (lanes == 8) v = v.add(v.rearrange(D4));
        if (lanes >= 4) v = v.add(v.rearrange(D2));
        if (lanes >= 2) v = v.add(v.rearrange(D1));
        return v.lane(0);
    }

    /** e^x: NaN stays NaN, −∞ gives 0, +∞ gives +∞, subnormal results are kept. */
    public static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(EXP_LOW).min(EXP_HIGH); // NaN passes through max/min
        FloatVector k = clamped.mul(LOG2E).add(ROUND).sub(ROUND); // round(x / ln 2)
        FloatVector r = k.fma(c(-LN2_HI), clamped);
        r = k.fma(c(-LN2_LO), r); // x − k ln 2 in [−ln2/2, ln2/2]
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, c(8.3334519073e-3f));
        p = p.fma(r, c(4.1665795894e-2f));
        p = p.fma(r, c(1.6666665459e-1f));
        p = p.fma(r, c(5.0000001201e-1f));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f); // e^r
        // 2^k in two factors so k in [−150, 128] stays within normal exponents (subnormals and overflow round).
        IntVector n = (IntVector) k.convert(VectorOperators.F2I, 0);
        IntVector half = n.lanewise(VectorOperators.ASHR, 1);
        return y.mul(pow2(half)).mul(pow2(n.sub(half)));
    }

    /** ln x: NaN or x &lt; 0 give NaN, ±0 gives −∞, +∞ gives +∞; subnormal x are handled. */
    public static FloatVector log(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector scaled = x.blend(x.mul(8388608f), tiny); // · 2^23
        IntVector bits = (IntVector) scaled.reinterpretAsInts();
        IntVector e = bits.lanewise(VectorOperators.ASHR, 23).sub(126); // x = m · 2^e, m in [0.5, 1)
        e = e.blend(e.sub(23), tiny.cast(IntVector.SPECIES_PREFERRED));
        FloatVector m = bits.and(0x807fffff).or(0x3f000000).reinterpretAsFloats();
        VectorMask<Float> low = m.compare(VectorOperators.LT, SQRT_HALF);
        FloatVector ef = ((FloatVector) e.convert(VectorOperators.I2F, 0)).sub(1f, low);
        FloatVector f = m.add(m.blend(0f, low.not())).sub(1f); // m − 1, or 2m − 1 when m < √½
        FloatVector z = f.mul(f);
        FloatVector p = f.fma(7.0376836292e-2f, -1.1514610310e-1f);
        p = p.fma(f, c(1.1676998740e-1f));
        p = p.fma(f, c(-1.2420140846e-1f));
        p = p.fma(f, c(1.4249322787e-1f));
        p = p.fma(f, c(-1.6668057665e-1f));
        p = p.fma(f, c(2.0000714765e-1f));
        p = p.fma(f, c(-2.4999993993e-1f));
        p = p.fma(f, c(3.3333331174e-1f));
        FloatVector y = p.mul(f).mul(z);
        y = ef.fma(c(LN2_LO), y);
        y = z.fma(c(-0.5f), y);
        FloatVector out = ef.fma(c(LN2_HI), f.add(y));
        out = out.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        out = out.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        return out.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
    }

    /** tanh x: a polynomial for |x| &lt; 0.625, else sign(x) (1 − 2 / (e^{2|x|} + 1)); NaN stays NaN. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector z = x.mul(x);
        FloatVector p = z.fma(-5.70498872745e-3f, 2.06390887954e-2f);
        p = p.fma(z, c(-5.37397155531e-2f));
        p = p.fma(z, c(1.33314422036e-1f));
        p = p.fma(z, c(-3.33332819422e-1f));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector a = x.abs();
        FloatVector large = c(1f).sub(c(2f).div(exp(a.add(a)).add(1f)));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        return large.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
    }

    private static FloatVector c(float value) {
        return FloatVector.broadcast(S, value);
    }

    /** 2^n for n in [−126, 127], as the float with that exponent. */
    private static FloatVector pow2(IntVector n) {
        return n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }
}
