package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Storage conversions between float32 [n] (4 bytes an element) and the 16-bit formats [n] (2 bytes an element):
 * bfloat16 (the top half of a float32) and IEEE float16. Rounding is to nearest, ties to even.
 */
public final class CpuConvert {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** As many short lanes as I has int lanes, in half the bits, so one int vector narrows into one short vector. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));
    private static final int LANES = I.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private CpuConvert() {}

    /**
     * float32 -> bfloat16 with round to nearest even: add 0x7FFF plus the lowest kept bit, then keep the top 16
     * bits (values past the largest bfloat16 round to infinity, as IEEE rounding does). A NaN keeps its sign and
     * top payload bits and gets the quiet bit, so a payload living only in the dropped bits cannot become infinity.
     */
    public static void f32ToBf16(long n, MemorySegment src, MemorySegment dst) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                IntVector bits = IntVector.fromMemorySegment(I, src, i * 4, NATIVE);
                IntVector rounded = bits.add(bits.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7FFF))
                        .lanewise(VectorOperators.LSHR, 16);
                VectorMask<Integer> nan = bits.and(0x7FFFFFFF).compare(VectorOperators.GT, 0x7F800000);
                IntVector quieted = bits.lanewise(VectorOperators.LSHR, 16).or(0x0040);
                ShortVector half = (ShortVector) rounded.blend(quieted, nan).convertShape(VectorOperators.I2S, S, 0);
                half.intoMemorySegment(dst, i * 2, NATIVE);
            }
            for (; i < to; i++) {
                dst.setAtIndex(JAVA_SHORT, i, f32ToBf16(src.getAtIndex(JAVA_INT, i)));
            }
        });
    }

    private static short f32ToBf16(int bits) {
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x0040);
        return (short) ((bits + ((bits >>> 16) & 1) + 0x7FFF) >>> 16);
    }

    /** bfloat16 -> float32, exact: the 16 bits become the top half of the float. */
    public static void bf16ToF32(long n, MemorySegment src, MemorySegment dst) {
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                // Sign extension fills the high half, which the shift then pushes out.
                IntVector wide = (IntVector) ShortVector.fromMemorySegment(S, src, i * 2, NATIVE)
                        .convertShape(VectorOperators.S2I, I, 0);
                wide.lanewise(VectorOperators.LSHL, 16).intoMemorySegment(dst, i * 4, NATIVE);
            }
            for (; i < to; i++) {
                dst.setAtIndex(JAVA_INT, i, src.getAtIndex(JAVA_SHORT, i) << 16);
            }
        });
    }

    /** float32 -> float16 (IEEE binary16), round to nearest even, overflow to infinity. */
    public static void f32ToF16(long n, MemorySegment src, MemorySegment dst) {
        CpuRanges.forElements(n, (from, to) -> {
            for (long i = from; i < to; i++) {
                dst.setAtIndex(JAVA_SHORT, i, Float.floatToFloat16(src.getAtIndex(JAVA_FLOAT, i)));
            }
        });
    }

    /** float16 (IEEE binary16) -> float32, exact. */
    public static void f16ToF32(long n, MemorySegment src, MemorySegment dst) {
        CpuRanges.forElements(n, (from, to) -> {
            for (long i = from; i < to; i++) {
                dst.setAtIndex(JAVA_FLOAT, i, Float.float16ToFloat(src.getAtIndex(JAVA_SHORT, i)));
            }
        });
    }
}
