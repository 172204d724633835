package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
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
                FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
                FloatVector u2 = v.mul(v).mul(C).fma(v, v).mul(-2 * K); // -2u
                v.div(VectorMath.exp(u2).add(1f)).intoMemorySegment(out, i * 4, NATIVE);
            }
            geluForwardTail(i, to, x, out);
        });
    }

    private static void geluForwardTail(long from, long to, MemorySegment x, MemorySegment out) {
        for (long i = from; i < to; i++) {
            float v = x.getAtIndex(JAVA_FLOAT, i);
            out.setAtIndex(JAVA_FLOAT, i, (float) (v / (1 + Math.exp(-2 * K * Math.fma(C, v * v * v, v)))));
        }
    }

    /**
     * dx = dout · gelu'(x), gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t²) K (1 + 3 C x²) with t = tanh(u); in terms of
     * s = σ(2u) = 0.5 (1 + t): gelu'(x) = s + 2 x s (1 - s) K (1 + 3 C x²).
     */
    public static void geluBackward(long n, MemorySegment x, MemorySegment dout, MemorySegment dx) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE)
                        .max(-GELU_GRAD_CLAMP).min(GELU_GRAD_CLAMP);
                FloatVector x2 = v.mul(v);
                FloatVector s = ONE.div(VectorMath.exp(x2.fma(C, 1f).mul(v).mul(-2 * K)).add(1f)); // σ(2u)
                FloatVector du2 = x2.fma(3 * C, 1f).mul(2 * K).mul(v); // 2 x K (1 + 3 C x²)
                FloatVector grad = s.sub(s.mul(s)).fma(du2, s);
                grad.mul(FloatVector.fromMemorySegment(F, dout, i * 4, NATIVE)).intoMemorySegment(dx, i * 4, NATIVE);
            }
            geluBackwardTail(i, to, x, dout, dx);
        });
    }

    private static void geluBackwardTail(long from, long to, MemorySegment x, MemorySegment dout, MemorySegment dx) {
        for (long i = from; i < to; i++) {
            float v = Math.clamp(x.getAtIndex(JAVA_FLOAT, i), -GELU_GRAD_CLAMP, GELU_GRAD_CLAMP);
            float x2 = v * v;
            double s = 1 / (1 + Math.exp(-2 * K * v * Math.fma(C, x2, 1f)));
            double du2 = 2 * K * v * Math.fma(3 * C, x2, 1f);
            dx.setAtIndex(JAVA_FLOAT, i, (float) ((s + s * (1 - s) * du2) * dout.getAtIndex(JAVA_FLOAT, i)));
        }
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
