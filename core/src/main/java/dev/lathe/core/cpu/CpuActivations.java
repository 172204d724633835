package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * GELU (tanh approximation, as GPT-2 and PyTorch's approximate='tanh') and SiLU, forward and backward, over
 * flat float32 buffers of n elements. Outputs are overwritten and may alias the inputs.
 */
public final class CpuActivations {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final float K = (float) Math.sqrt(2 / Math.PI);
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f);
    private static final float C = 0.044715f;
    /**
     * GELU's derivative is 0 below and 1 above this to float precision (tanh saturates at |u| ~ 9, x ~ 4.5);
     * clamping x to it keeps x² and x·sech² finite for any input.
     */
    private static final float GELU_GRAD_CLAMP = 10f;

    private CpuActivations() {}

    // ---- GELU: out = 0.5 x (1 + tanh(u)), u = K (x + C x³). Shapes: x, out, dout, dx [n].
    // Computed as out = x σ(2u) = x / (1 + e^(-2u)), the same function (0.5 (1 + tanh u) = σ(2u)) with one exp
    // and no tanh: without the tanh's polynomial and blends the loop stays under C2's inlining node budget, so
    // exp's integer-vector steps are intrinsified (with tanh they fell back to boxed vectors, ~6 ns/element
    // forward + backward). It is also more accurate for negative x, where 1 + tanh u cancels.

    public static void geluForward(long n, MemorySegment x, MemorySegment out) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                gelu(FloatVector.fromMemorySegment(F, x, i * 4, NATIVE)).intoMemorySegment(out, i * 4, NATIVE);
            }
            if (i < to) { // the tail through the same vector math, masked: every element rounds alike wherever it sits
                VectorMask<Float> m = F.indexInRange(i, to);
                gelu(FloatVector.fromMemorySegment(F, x, i * 4, NATIVE, m)).intoMemorySegment(out, i * 4, NATIVE, m);
            }
        });
    }

    /**
     * dx = dout · gelu'(x), gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t²) K (1 + 3 C x²) with t = tanh(u); in terms of
     * s = σ(2u) = 0.5 (1 + t): gelu'(x) = s + 2 x s (1 - s) K (1 + 3 C x²).
     */
    public static void geluBackward(long n, MemorySegment x, MemorySegment dout, MemorySegment dx) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                geluGrad(FloatVector.fromMemorySegment(F, x, i * 4, NATIVE))
                        .mul(FloatVector.fromMemorySegment(F, dout, i * 4, NATIVE)).intoMemorySegment(dx, i * 4, NATIVE);
            }
            if (i < to) {
                VectorMask<Float> m = F.indexInRange(i, to);
                geluGrad(FloatVector.fromMemorySegment(F, x, i * 4, NATIVE, m))
                        .mul(FloatVector.fromMemorySegment(F, dout, i * 4, NATIVE, m)).intoMemorySegment(dx, i * 4, NATIVE, m);
            }
        });
    }

    // ---- Bias + GELU: out = gelu(x + bias) with bias [C] repeated over the rows of x [rows, C] (a Linear's bias
    // and GPT-2's MLP activation), and backward dx = dout · gelu'(x + bias), the gradient of the sum (the bias's is
    // its column sum). One pass each way where an add and a GELU made two and kept their intermediate; the sum is
    // rounded to float first and every element (row tails too, masked) takes the same vector math, so the values
    // are those of the two ops bit for bit.

    public static void biasGeluForward(int rows, int C, MemorySegment x, MemorySegment bias, MemorySegment out) {
        CpuParallel.forRange(rows, rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long row = (long) r * C * 4;
                int c = 0;
                for (int end = C - C % LANES; c < end; c += LANES) {
                    FloatVector v = FloatVector.fromMemorySegment(F, x, row + c * 4L, NATIVE)
                            .add(FloatVector.fromMemorySegment(F, bias, c * 4L, NATIVE));
                    gelu(v).intoMemorySegment(out, row + c * 4L, NATIVE);
                }
                if (c < C) {
                    VectorMask<Float> m = F.indexInRange(c, C);
                    FloatVector v = FloatVector.fromMemorySegment(F, x, row + c * 4L, NATIVE, m)
                            .add(FloatVector.fromMemorySegment(F, bias, c * 4L, NATIVE, m));
                    gelu(v).intoMemorySegment(out, row + c * 4L, NATIVE, m);
                }
            }
        });
    }

    public static void biasGeluBackward(int rows, int C, MemorySegment x, MemorySegment bias, MemorySegment dout,
                                        MemorySegment dx) {
        CpuParallel.forRange(rows, rowGrain(C), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long row = (long) r * C * 4;
                int c = 0;
                for (int end = C - C % LANES; c < end; c += LANES) {
                    FloatVector v = FloatVector.fromMemorySegment(F, x, row + c * 4L, NATIVE)
                            .add(FloatVector.fromMemorySegment(F, bias, c * 4L, NATIVE));
                    geluGrad(v).mul(FloatVector.fromMemorySegment(F, dout, row + c * 4L, NATIVE))
                            .intoMemorySegment(dx, row + c * 4L, NATIVE);
                }
                if (c < C) {
                    VectorMask<Float> m = F.indexInRange(c, C);
                    FloatVector v = FloatVector.fromMemorySegment(F, x, row + c * 4L, NATIVE, m)
                            .add(FloatVector.fromMemorySegment(F, bias, c * 4L, NATIVE, m));
                    geluGrad(v).mul(FloatVector.fromMemorySegment(F, dout, row + c * 4L, NATIVE, m))
                            .intoMemorySegment(dx, row + c * 4L, NATIVE, m);
                }
            }
        });
    }

    /** Rows a parallel chunk at least: ~32K elements, as {@link CpuRanges#forElements}'s grain. */
    private static int rowGrain(int C) {
        return Math.max(1, CpuRanges.BLOCK * CpuRanges.GRAIN_BLOCKS / Math.max(1, C));
    }

    /** gelu(v) = v σ(2u) = v / (1 + e^(-2u)), u = K (v + C v³). */
    private static FloatVector gelu(FloatVector v) {
        FloatVector u2 = v.mul(v).mul(C).fma(v, v).mul(-2 * K); // -2u
        return v.div(VectorMath.exp(u2).add(1f));
    }

    /** gelu'(v) = s + 2 v s (1 - s) K (1 + 3 C v²), s = σ(2u), v clamped to ±GELU_GRAD_CLAMP. */
    private static FloatVector geluGrad(FloatVector x) {
        FloatVector v = x.max(-GELU_GRAD_CLAMP).min(GELU_GRAD_CLAMP);
        FloatVector x2 = v.mul(v);
        FloatVector s = ONE.div(VectorMath.exp(x2.fma(C, 1f).mul(v).mul(-2 * K)).add(1f)); // σ(2u)
        FloatVector du2 = x2.fma(3 * C, 1f).mul(2 * K).mul(v); // 2 x K (1 + 3 C x²)
        return s.sub(s.mul(s)).fma(du2, s);
    }

    // ---- SiLU: out = x σ(x), σ(x) = 1 / (1 + e^-x). Shapes: x, out, dout, dx [n]. e^-x overflowing to
    // infinity for x < -88 gives σ = 0 exactly, the right limit, so no clamping is needed.

    public static void siluForward(long n, MemorySegment x, MemorySegment out) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
                v.mul(sigmoid(v)).intoMemorySegment(out, i * 4, NATIVE);
            }
            for (; i < to; i++) {
                float v = x.getAtIndex(JAVA_FLOAT, i);
                out.setAtIndex(JAVA_FLOAT, i, v * sigmoid(v));
            }
        });
    }

    /** dx = dout · silu'(x), silu'(x) = σ (1 + x (1 - σ)). */
    public static void siluBackward(long n, MemorySegment x, MemorySegment dout, MemorySegment dx) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
                FloatVector s = sigmoid(v);
                FloatVector grad = v.mul(s.neg().add(1f)).add(1f).mul(s);
                grad.mul(FloatVector.fromMemorySegment(F, dout, i * 4, NATIVE)).intoMemorySegment(dx, i * 4, NATIVE);
            }
            for (; i < to; i++) {
                float v = x.getAtIndex(JAVA_FLOAT, i);
                float s = sigmoid(v);
                dx.setAtIndex(JAVA_FLOAT, i, s * (1f + v * (1f - s)) * dout.getAtIndex(JAVA_FLOAT, i));
            }
        });
    }

    private static FloatVector sigmoid(FloatVector v) {
        return FloatVector.broadcast(F, 1f).div(VectorMath.exp(v.neg()).add(1f));
    }

    private static float sigmoid(float v) {
        return 1f / (1f + (float) Math.exp(-v));
    }
}
