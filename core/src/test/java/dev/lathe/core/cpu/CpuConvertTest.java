package dev.lathe.core.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static dev.lathe.core.cpu.EwTestUtil.SIZES;
import static dev.lathe.core.cpu.EwTestUtil.floats;
import static dev.lathe.core.cpu.EwTestUtil.random;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuConvertTest {
    /** float32 bits -> expected bfloat16 bits. */
    private static final int[][] BF16_CASES = {
            {0x3F800000, 0x3F80}, // 1.0
            {0x3F808000, 0x3F80}, // tie, kept bit even: stays
            {0x3F818000, 0x3F82}, // tie, kept bit odd: rounds up to even
            {0x3F808001, 0x3F81}, // just past the tie: up
            {0x3F807FFF, 0x3F80}, // just under the tie: down
            {0xBF818000, 0xBF82}, // negative tie
            {0x00000000, 0x0000}, {0x80000000, 0x8000}, // signed zeros
            {0x7F800000, 0x7F80}, {0xFF800000, 0xFF80}, // infinities
            {0x7F7FFFFF, 0x7F80}, // the largest float rounds past the largest bfloat16: infinity
            {0x00000001, 0x0000}, // smallest subnormal rounds to zero
            {0x7FC00000, 0x7FC0}, // quiet NaN
    };

    private static MemorySegment shorts(long n) {
        return Arena.ofAuto().allocate(n * 2, 64);
    }

    @Test
    void bf16KnownPatterns() {
        // Repeated to 1031 elements so every pattern goes through both the vector loop and the scalar tail.
        int n = 1031;
        MemorySegment src = floats(n), dst = shorts(n);
        for (int i = 0; i < n; i++) src.setAtIndex(JAVA_INT, i, BF16_CASES[i % BF16_CASES.length][0]);
        CpuConvert.f32ToBf16(n, src, dst);
        for (int i = 0; i < n; i++) {
            int[] c = BF16_CASES[i % BF16_CASES.length];
            assertEquals(c[1], dst.getAtIndex(JAVA_SHORT, i) & 0xFFFF, "bits " + Integer.toHexString(c[0]));
        }
    }

    @Test
    void bf16KeepsNaNsNaN() {
        // Signalling NaNs whose payload lies only in the dropped low bits must not truncate to infinity.
        int[] nans = {0x7F800001, 0xFF800001, 0x7F80FFFF, 0x7FFFFFFF, 0xFFC00000, 0x7FBFFFFF, 0x7F800100, 0x7FC00001,
                0x7F800001};
        MemorySegment src = floats(nans.length), dst = shorts(nans.length), back = floats(nans.length);
        for (int i = 0; i < nans.length; i++) src.setAtIndex(JAVA_INT, i, nans[i]);
        CpuConvert.f32ToBf16(nans.length, src, dst);
        CpuConvert.bf16ToF32(nans.length, dst, back);
        for (int i = 0; i < nans.length; i++) {
            assertTrue(Float.isNaN(back.getAtIndex(JAVA_FLOAT, i)), Integer.toHexString(nans[i]));
            assertEquals(nans[i] >>> 31, back.getAtIndex(JAVA_INT, i) >>> 31, "sign");
        }
    }

    /** Random floats: the result is the nearer of the two neighbouring bfloat16 values, the even one on a tie. */
    @Test
    void bf16RoundsToNearestAndRoundTrips() {
        for (int n : SIZES) {
            MemorySegment src = random(n, 40, -1e6, 1e6), dst = shorts(n), back = floats(n);
            CpuConvert.f32ToBf16(n, src, dst);
            CpuConvert.bf16ToF32(n, dst, back);
            for (int i = 0; i < n; i++) {
                double x = src.getAtIndex(JAVA_FLOAT, i);
                int bits = src.getAtIndex(JAVA_INT, i);
                double down = Float.intBitsToFloat(bits & 0xFFFF0000);
                double up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
                double got = back.getAtIndex(JAVA_FLOAT, i);
                double errGot = Math.abs(got - x), errBest = Math.min(Math.abs(down - x), Math.abs(up - x));
                assertEquals(errBest, errGot, 0, "element " + i + " = " + x);
                if (Math.abs(down - x) == Math.abs(up - x)) {
                    assertEquals(0, (back.getAtIndex(JAVA_INT, i) >>> 16) & 1, "tie to even at " + x);
                }
            }
            // bfloat16 -> float32 -> bfloat16 is the identity.
            MemorySegment again = shorts(n);
            CpuConvert.f32ToBf16(n, back, again);
            for (int i = 0; i < n; i++) assertEquals(dst.getAtIndex(JAVA_SHORT, i), again.getAtIndex(JAVA_SHORT, i));
        }
    }

    @Test
    void f16KnownValues() {
        float[] values = {1f, -2f, 65504f, 65520f, 1e-8f, 0.1f, Float.POSITIVE_INFINITY};
        int[] bits = {0x3C00, 0xC000, 0x7BFF, 0x7C00, 0x0000, 0x2E66, 0x7C00};
        MemorySegment src = EwTestUtil.of(values), dst = shorts(values.length);
        CpuConvert.f32ToF16(values.length, src, dst);
        for (int i = 0; i < values.length; i++) {
            assertEquals(bits[i], dst.getAtIndex(JAVA_SHORT, i) & 0xFFFF, "value " + values[i]);
        }
    }

    /** Every finite float16 pattern survives float16 -> float32 -> float16, and the float32 value is exact. */
    @Test
    void f16RoundTripsRepresentableValues() {
        SplittableRandom rnd = new SplittableRandom(41);
        for (int n : SIZES) {
            MemorySegment half = shorts(n), wide = floats(n), again = shorts(n);
            for (int i = 0; i < n; i++) {
                short h;
                do {
                    h = (short) rnd.nextInt(1 << 16);
                } while ((h & 0x7C00) == 0x7C00); // skip infinities and NaNs
                half.setAtIndex(JAVA_SHORT, i, h);
            }
            CpuConvert.f16ToF32(n, half, wide);
            CpuConvert.f32ToF16(n, wide, again);
            for (int i = 0; i < n; i++) {
                short h = half.getAtIndex(JAVA_SHORT, i);
                assertEquals(h, again.getAtIndex(JAVA_SHORT, i));
                assertEquals(Float.float16ToFloat(h), wide.getAtIndex(JAVA_FLOAT, i));
            }
        }
    }
}
