package dev.lathe.core.cpu;

import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.lathe.core.cpu.EwTestUtil.SIZES;
import static dev.lathe.core.cpu.EwTestUtil.assertClose;
import static dev.lathe.core.cpu.EwTestUtil.copyOf;
import static dev.lathe.core.cpu.EwTestUtil.floats;
import static dev.lathe.core.cpu.EwTestUtil.random;
import static dev.lathe.core.cpu.EwTestUtil.toDoubles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CpuElementwiseTest {
    /** Float rounding of one operation is 6e-8 relative; SIMD exp/log/tanh may be a few ulp off. */
    private static final double RTOL = 2e-6;
    private static final double ATOL = 1e-7;

    private static double ref(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    /** a [n] op b [bLen] against the float64 formula; b stays in [0.5, 2) so DIV is well conditioned. */
    private static void checkBinary(BinaryOp op, int n, int bLen, boolean inPlace) {
        MemorySegment a = random(n, 1, -3, 3);
        MemorySegment b = random(bLen, 2, 0.5, 2);
        double[] da = toDoubles(a, n), db = toDoubles(b, bLen);
        double[] expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = ref(op, da[i], db[i % bLen]);
        MemorySegment out = inPlace ? a : floats(n);
        CpuElementwise.binary(op, n, a, b, bLen, out);
        assertClose(expected, out, RTOL, 0);
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binarySameShapeAndScalar(BinaryOp op) {
        for (int n : SIZES) {
            checkBinary(op, n, n, false);
            checkBinary(op, n, 1, false);
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryBiasRow(BinaryOp op) {
        int[][] shapes = {{1, 13}, {7, 13}, {80, 13}, {7700, 13}, {97, 1031}, {3, 8}, {5000, 24}};
        for (int[] rc : shapes) checkBinary(op, rc[0] * rc[1], rc[1], false);
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binaryInPlace(BinaryOp op) {
        for (int n : SIZES) {
            checkBinary(op, n, n, true);
            checkBinary(op, n, 1, true);
        }
        checkBinary(op, 7700 * 13, 13, true);
    }

    @Test
    void binaryOutMayAliasSameShapeB() {
        int n = 1031;
        MemorySegment a = random(n, 3, -1, 1), b = random(n, 4, -1, 1);
        double[] da = toDoubles(a, n), db = toDoubles(b, n), expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = da[i] - db[i];
        CpuElementwise.binary(BinaryOp.SUB, n, a, b, n, b);
        assertClose(expected, b, RTOL, 0);
    }

    @Test
    void binaryRejectsNonDividingBroadcast() {
        MemorySegment a = floats(10), b = floats(3);
        assertThrows(IllegalArgumentException.class, () -> CpuElementwise.binary(BinaryOp.ADD, 10, a, b, 3, a));
        assertThrows(IllegalArgumentException.class, () -> CpuElementwise.binary(BinaryOp.ADD, 10, a, b, 0, a));
    }

    private static DoubleUnaryOperator ref(UnaryOp op) {
        return switch (op) {
            case NEG -> x -> -x;
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case TANH -> Math::tanh;
            case SQRT -> Math::sqrt;
            case RSQRT -> x -> 1 / Math.sqrt(x);
            case SQUARE -> x -> x * x;
            case RELU -> x -> Math.max(x, 0);
            case SIGMOID -> x -> 1 / (1 + Math.exp(-x));
            case ABS -> Math::abs;
        };
    }

    private static void checkUnary(UnaryOp op, int n, boolean inPlace) {
        boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT;
        MemorySegment x = positive ? random(n, 5, 0.01, 10) : random(n, 5, -10, 10);
        double[] dx = toDoubles(x, n), expected = new double[n];
        DoubleUnaryOperator f = ref(op);
        for (int i = 0; i < n; i++) expected[i] = f.applyAsDouble(dx[i]);
        MemorySegment out = inPlace ? x : floats(n);
        CpuElementwise.unary(op, n, x, out);
        // Near tanh's and log's zeros a relative bound is meaningless; 1e-6 absolute is a few float ulp of 1.
        assertClose(expected, out, RTOL, 1e-6);
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unary(UnaryOp op) {
        for (int n : SIZES) {
            checkUnary(op, n, false);
            checkUnary(op, n, true);
        }
    }

    @Test
    void sigmoidSaturatesWithoutNaN() {
        MemorySegment x = EwTestUtil.of(-100, -10, 0, 10, 100, -100, -10, 0, 10, 100), out = floats(10);
        CpuElementwise.unary(UnaryOp.SIGMOID, 10, x, out);
        double[] expected = new double[10];
        for (int i = 0; i < 10; i++) expected[i] = 1 / (1 + Math.exp(-toDoubles(x, 10)[i]));
        assertClose(expected, out, RTOL, 1e-30);
    }

    @Test
    void scaleAddScalarAxpy() {
        for (int n : SIZES) {
            MemorySegment x = random(n, 6, -2, 2), y = random(n, 7, -2, 2);
            double[] dx = toDoubles(x, n), dy = toDoubles(y, n);
            double[] scaled = new double[n], shifted = new double[n], axpy = new double[n];
            for (int i = 0; i < n; i++) {
                scaled[i] = -1.5 * dx[i];
                shifted[i] = dx[i] + 0.25;
                axpy[i] = dy[i] + 0.75 * dx[i];
            }
            MemorySegment out = floats(n);
            CpuElementwise.scale(n, -1.5f, x, out);
            assertClose(scaled, out, RTOL, 0);
            CpuElementwise.addScalar(n, 0.25f, x, out);
            assertClose(shifted, out, RTOL, 1e-7);
            CpuElementwise.axpy(n, 0.75f, x, y);
            assertClose(axpy, y, RTOL, 1e-7);

            MemorySegment inPlace = copyOf(x, n);
            CpuElementwise.scale(n, -1.5f, inPlace, inPlace);
            assertClose(scaled, inPlace, RTOL, 0);
        }
    }

    @Test
    void fillAndCopy() {
        for (int n : SIZES) {
            MemorySegment out = random(n, 8, -1, 1);
            CpuElementwise.fill(n, 3.5f, out);
            double[] threes = new double[n];
            Arrays.fill(threes, 3.5);
            assertClose(threes, out, 0, 0);

            MemorySegment src = random(n, 9, -1, 1), dst = floats(n);
            CpuElementwise.copy(n, src, dst);
            assertClose(toDoubles(src, n), dst, 0, 0);
        }
    }

    @Test
    void copyOfAViewLeavesTheRestAlone() {
        MemorySegment src = random(20, 10, -1, 1), dst = floats(20);
        CpuElementwise.copy(7, src.asSlice(4L * 3), dst.asSlice(4L * 5));
        double[] d = toDoubles(dst, 20), s = toDoubles(src, 20);
        for (int i = 0; i < 20; i++) assertEquals(i >= 5 && i < 12 ? s[i - 2] : 0, d[i]);
    }
}
