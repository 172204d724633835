package dev.lathe.core.cpu;

import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.util.function.DoubleUnaryOperator;

import org.junit.jupiter.api.Test;

import static dev.lathe.core.cpu.EwTestUtil.SIZES;
import static dev.lathe.core.cpu.EwTestUtil.assertClose;
import static dev.lathe.core.cpu.EwTestUtil.copyOf;
import static dev.lathe.core.cpu.EwTestUtil.floats;
import static dev.lathe.core.cpu.EwTestUtil.random;
import static dev.lathe.core.cpu.EwTestUtil.toDoubles;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

class CpuActivationsTest {
    private static final double[] EXTREMES = {-100, -10, 0, 10, 100};

    /** GELU, tanh form, in float64. */
    private static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** Central difference of f at x, step 1e-4: truncation error ~1e-8, far under the 1e-3 tolerance. */
    private static double derivative(DoubleUnaryOperator f, double x) {
        double h = 1e-4;
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }

    @FunctionalInterface
    private interface Forward {
        void run(long n, MemorySegment x, MemorySegment out);
    }

    @FunctionalInterface
    private interface Backward {
        void run(long n, MemorySegment x, MemorySegment dout, MemorySegment dx);
    }

    private static void checkForward(Forward kernel, DoubleUnaryOperator f, MemorySegment x, int n) {
        double[] dx = toDoubles(x, n), expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = f.applyAsDouble(dx[i]);
        MemorySegment out = floats(n);
        kernel.run(n, x, out);
        assertClose(expected, out, 1e-5, 1e-6);
        MemorySegment inPlace = copyOf(x, n);
        kernel.run(n, inPlace, inPlace);
        assertClose(expected, inPlace, 1e-5, 1e-6);
    }

    private static void checkBackward(Backward kernel, DoubleUnaryOperator f, MemorySegment x, int n) {
        MemorySegment dout = random(n, 21, -2, 2);
        double[] dx = toDoubles(x, n), dd = toDoubles(dout, n), expected = new double[n];
        for (int i = 0; i < n; i++) expected[i] = dd[i] * derivative(f, dx[i]);
        MemorySegment grad = floats(n);
        kernel.run(n, x, dout, grad);
        assertClose(expected, grad, 1e-3, 1e-3);
        kernel.run(n, x, dout, dout); // dx aliasing dout
        assertClose(expected, dout, 1e-3, 1e-3);
    }

    private static void check(Forward fwd, Backward bwd, DoubleUnaryOperator f) {
        for (int n : SIZES) {
            MemorySegment x = random(n, 20, -6, 6);
            checkForward(fwd, f, x, n);
            checkBackward(bwd, f, x, n);
        }
        // Saturated inputs, repeated so both the vector loop and the scalar tail see each value.
        int n = EXTREMES.length * 3;
        MemorySegment x = floats(n);
        for (int i = 0; i < n; i++) x.setAtIndex(JAVA_FLOAT, i, (float) EXTREMES[i % 5]);
        checkForward(fwd, f, x, n);
        checkBackward(bwd, f, x, n);
    }

    @Test
    void gelu() {
        check(CpuActivations::geluForward, CpuActivations::geluBackward, CpuActivationsTest::gelu);
    }

    @Test
    void silu() {
        check(CpuActivations::siluForward, CpuActivations::siluBackward, CpuActivationsTest::silu);
    }
}
