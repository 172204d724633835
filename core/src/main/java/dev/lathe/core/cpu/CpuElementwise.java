package dev.lathe.core.cpu;

import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Element-wise float32 kernels over flat buffers. All take counts in elements; outputs are overwritten (except
 * {@link #axpy}) and may be the same segment as an input. The per-op vector switches are written out inside the
 * loops on purpose: each case hands the Vector API a constant operator, and in a separate helper method (too big
 * for C2 to inline once it holds the exp/log/tanh code) every vector would be boxed on the heap.
 */
public final class CpuElementwise {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private CpuElementwise() {}

    /**
     * out[i] = a[i] op b[i % bLen]: a, out [n]; b [bLen], broadcast over the trailing bLen elements (bLen == n:
     * same shape, 1: scalar, C: a bias row of an [n / C, C] tensor). out may alias a, and b only when bLen == n.
     *
     * @throws IllegalArgumentException unless bLen > 0 and n % bLen == 0
     */
    public static void binary(BinaryOp op, long n, MemorySegment a, MemorySegment b, long bLen, MemorySegment out) {
        if (bLen <= 0 || n % bLen != 0) {
            throw new IllegalArgumentException("broadcast length " + bLen + " does not divide " + n);
        }
        if (bLen == 1) {
            float s = b.getAtIndex(JAVA_FLOAT, 0);
            CpuRanges.forElements(n, (from, to) -> binaryScalar(op, a, s, out, from, to));
            return;
        }
        CpuRanges.forElements(n, (from, to) -> {
            // Walk [from, to) in runs that stay inside one period of b.
            for (long i = from; i < to; ) {
                long j = i % bLen;
                long len = Math.min(to - i, bLen - j);
                binarySpan(op, a, i, b, j, out, len);
                i += len;
            }
        });
    }

    /** out[i0 + k] = a[i0 + k] op b[j0 + k] for k in [0, len). */
    private static void binarySpan(BinaryOp op, MemorySegment a, long i0, MemorySegment b, long j0,
                                   MemorySegment out, long len) {
        long k = 0;
        for (long end = len - len % LANES; k < end; k += LANES) {
            FloatVector va = FloatVector.fromMemorySegment(F, a, (i0 + k) * 4, NATIVE);
            FloatVector vb = FloatVector.fromMemorySegment(F, b, (j0 + k) * 4, NATIVE);
            FloatVector r = switch (op) {
                case ADD -> va.add(vb);
                case SUB -> va.sub(vb);
                case MUL -> va.mul(vb);
                case DIV -> va.div(vb);
            };
            r.intoMemorySegment(out, (i0 + k) * 4, NATIVE);
        }
        for (; k < len; k++) {
            float r = apply(op, a.getAtIndex(JAVA_FLOAT, i0 + k), b.getAtIndex(JAVA_FLOAT, j0 + k));
            out.setAtIndex(JAVA_FLOAT, i0 + k, r);
        }
    }

    /** out[i] = a[i] op s for i in [from, to). */
    private static void binaryScalar(BinaryOp op, MemorySegment a, float s, MemorySegment out, long from, long to) {
        FloatVector vs = FloatVector.broadcast(F, s);
        long i = from;
        for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
            FloatVector va = FloatVector.fromMemorySegment(F, a, i * 4, NATIVE);
            FloatVector r = switch (op) {
                case ADD -> va.add(vs);
                case SUB -> va.sub(vs);
                case MUL -> va.mul(vs);
                case DIV -> va.div(vs);
            };
            r.intoMemorySegment(out, i * 4, NATIVE);
        }
        for (; i < to; i++) {
            out.setAtIndex(JAVA_FLOAT, i, apply(op, a.getAtIndex(JAVA_FLOAT, i), s));
        }
    }

    private static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    /** out[i] = op(x[i]): x, out [n]; out may alias x. */
    public static void unary(UnaryOp op, long n, MemorySegment x, MemorySegment out) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                FloatVector v = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
                FloatVector r = switch (op) {
                    case NEG -> v.neg();
                    case EXP -> VectorMath.exp(v);
                    case LOG -> VectorMath.log(v);
                    case TANH -> VectorMath.tanh(v);
                    case SQRT -> v.sqrt();
                    case RSQRT -> FloatVector.broadcast(F, 1f).div(v.sqrt());
                    case SQUARE -> v.mul(v);
                    case RELU -> v.max(0f);
                    // 1 / (1 + e^-x): e^-x overflows to inf for x < -88, giving the limit 0 rather than NaN.
                    case SIGMOID -> FloatVector.broadcast(F, 1f).div(VectorMath.exp(v.neg()).add(1f));
                    case ABS -> v.abs();
                };
                r.intoMemorySegment(out, i * 4, NATIVE);
            }
            for (; i < to; i++) {
                out.setAtIndex(JAVA_FLOAT, i, apply(op, x.getAtIndex(JAVA_FLOAT, i)));
            }
        });
    }

    private static float apply(UnaryOp op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case TANH -> (float) Math.tanh(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case SQUARE -> x * x;
            case RELU -> Math.max(x, 0f);
            case SIGMOID -> 1f / (1f + (float) Math.exp(-x));
            case ABS -> Math.abs(x);
        };
    }

    /** out[i] = alpha * x[i]: x, out [n]; out may alias x. */
    public static void scale(long n, float alpha, MemorySegment x, MemorySegment out) {
        CpuRanges.forElements(n, (from, to) -> binaryScalar(BinaryOp.MUL, x, alpha, out, from, to));
    }

    /** out[i] = x[i] + s: x, out [n]; out may alias x. */
    public static void addScalar(long n, float s, MemorySegment x, MemorySegment out) {
        CpuRanges.forElements(n, (from, to) -> binaryScalar(BinaryOp.ADD, x, s, out, from, to));
    }

    /** y[i] += alpha * x[i]: x, y [n]. Accumulates into y. */
    public static void axpy(long n, float alpha, MemorySegment x, MemorySegment y) {
        CpuRanges.forElements(n, (from, to) -> {
            FloatVector va = FloatVector.broadcast(F, alpha);
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                FloatVector vx = FloatVector.fromMemorySegment(F, x, i * 4, NATIVE);
                FloatVector vy = FloatVector.fromMemorySegment(F, y, i * 4, NATIVE);
                vx.fma(va, vy).intoMemorySegment(y, i * 4, NATIVE);
            }
            for (; i < to; i++) {
                y.setAtIndex(JAVA_FLOAT, i, Math.fma(alpha, x.getAtIndex(JAVA_FLOAT, i), y.getAtIndex(JAVA_FLOAT, i)));
            }
        });
    }

    /** out[i] = value: out [n]. */
    public static void fill(long n, float value, MemorySegment out) {
        CpuRanges.forElements(n, (from, to) -> {
            FloatVector v = FloatVector.broadcast(F, value);
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                v.intoMemorySegment(out, i * 4, NATIVE);
            }
            for (; i < to; i++) {
                out.setAtIndex(JAVA_FLOAT, i, value);
            }
        });
    }

    /**
     * dst[i] = src[i]: src, dst [n]. One memmove rather than a parallel loop, so that it stays correct for any
     * overlap of src and dst; a copy is memory-bound, where a second core adds little.
     */
    public static void copy(long n, MemorySegment src, MemorySegment dst) {
        MemorySegment.copy(src, 0, dst, 0, n * Float.BYTES);
    }
}
