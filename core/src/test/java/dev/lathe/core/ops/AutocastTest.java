package dev.lathe.core.ops;

import static dev.lathe.core.device.DeviceParity.assertSameBits;
import static dev.lathe.core.device.DeviceParity.onDevice;
import static dev.lathe.core.device.DeviceParity.onEmulatedDevice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.EmulatedDeviceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * BF16 autocast of GEMMs: products (forward and both gradients) against float64 products of the BF16-rounded
 * operands; off, the same bits as the plain GEMM; the device, emulated or BF16-native, gives the CPU's bits.
 */
class AutocastTest {
    private static final int M = 7, K = 300, N = 5;

    /** Round to nearest even BF16, kept as float (an independent rounding: no backend involved). */
    private static float bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
    }

    private static float[] bf16(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = bf16(x[i]);
        return out;
    }

    /**
     * Checks c [m, n] against Σ_k a[i, k]·b[k, j] in float64 (a row-major [m, k], b row-major [k, n]) within F32
     * accumulation error.
     */
    private static void assertProduct(float[] a, float[] b, float[] c, int m, int k, int n, String what) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a[i * k + p] * b[p * n + j];
                    sum += t;
                    abs += Math.abs(t);
                }
                double tol = 2.0 * k * Math.ulp(1f) * abs + 1e-30;
                assertEquals(sum, c[i * n + j], tol, what + " [" + i + ", " + j + "]");
            }
        }
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    /** out, da, db of a [M, K] @ b [K, N] (b given as wT [N, K] and read transposed when {@code linear}). */
    private static float[][] run(Device device, boolean linear, float[] a, float[] b, float[] g) {
        try (var s = Scope.open()) {
            Tensor ta = Tensor.of(a, M, K).to(device).requiresGrad(true);
            Tensor tb = (linear ? Tensor.of(transpose(b, K, N), N, K) : Tensor.of(b, K, N)).to(device).requiresGrad(true);
            Tensor out = linear ? MatmulOps.linear(ta, tb, null) : MatmulOps.matmul(ta, tb);
            out.backward(Tensor.of(g, M, N).to(device));
            float[] db = tb.grad().toFloatArray();
            return new float[][] {out.toFloatArray(), ta.grad().toFloatArray(), linear ? transpose(db, N, K) : db};
        }
    }

    private static float[] randn(Random rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rng.nextGaussian();
        return x;
    }

    @Test
    void bf16GemmsMultiplyRoundedOperandsForwardAndBackward() {
        Random rng = new Random(8);
        float[] a = randn(rng, M * K), b = randn(rng, K * N), g = randn(rng, M * N);
        float[] ra = bf16(a), rb = bf16(b), rg = bf16(g);
        for (boolean linear : new boolean[] {false, true}) {
            float[][] r;
            try (var on = Autocast.bf16()) {
                assertTrue(Autocast.isBf16());
                r = run(Device.CPU, linear, a, b, g);
            }
            assertFalse(Autocast.isBf16());
            String op = linear ? "linear" : "matmul";
            assertProduct(ra, rb, r[0], M, K, N, op + " out");
            assertProduct(rg, transpose(rb, K, N), r[1], M, N, K, op + " da");
            assertProduct(transpose(ra, M, K), rg, r[2], K, M, N, op + " db");
            // the operands really were rounded: the unrounded product is farther than accumulation error allows
            float[] exact = run(Device.CPU, linear, a, b, g)[0];
            double far = 0;
            for (int i = 0; i < exact.length; i++) far = Math.max(far, Math.abs(exact[i] - r[0][i]));
            assertTrue(far > 1e-3, op + ": autocast changed nothing (" + far + ")");
        }
    }

    @Test
    void offIsThePlainF32Gemm() {
        Random rng = new Random(9);
        float[] a = randn(rng, M * K), b = randn(rng, K * N);
        try (var s = Scope.open()) {
            Tensor ta = Tensor.of(a, M, K), tb = Tensor.of(b, K, N);
            Tensor plain = Tensor.empty(M, N);
            Backends.cpu().matmul(ta, tb, plain, 1f, 0f);
            assertSameBits(plain, MatmulOps.matmul(ta, tb), "default");
            Autocast.setDefault(true);
            try (var off = Autocast.off()) {
                assertSameBits(plain, MatmulOps.matmul(ta, tb), "scoped off under a bf16 default");
            } finally {
                Autocast.setDefault(false);
            }
        }
    }

    @Test
    void deviceAutocastEqualsTheCpu() {
        Random rng = new Random(10);
        float[] a = randn(rng, M * K), b = randn(rng, K * N), g = randn(rng, M * N);
        for (boolean linear : new boolean[] {false, true}) {
            float[][] cpu;
            try (var on = Autocast.bf16()) {
                cpu = run(Device.CPU, linear, a, b, g);
            }
            float[][] emulated = onEmulatedDevice(() -> {
                try (var on = Autocast.bf16()) {
                    return run(Device.CUDA, linear, a, b, g);
                }
            });
            AtomicInteger bf16Gemms = new AtomicInteger();
            float[][] nativeBf16 = withBf16GemmDevice(bf16Gemms, () -> {
                try (var on = Autocast.bf16()) {
                    return run(Device.CUDA, linear, a, b, g);
                }
            });
            assertEquals(3, bf16Gemms.get(), "forward and both gradients get BF16 operands");
            for (int i = 0; i < 3; i++) {
                assertSameBits(cpu[i], emulated[i], "emulated " + i);
                assertSameBits(cpu[i], nativeBf16[i], "bf16-native " + i);
            }
        }
    }

    /**
     * Runs body with a device whose GEMM takes BF16 operands (computeType(BF16) = BF16), as the CUDA backend's:
     * the emulated device, with its GEMM widening BF16 operands itself and counting the calls that had them.
     */
    private static <T> T withBf16GemmDevice(AtomicInteger bf16Gemms, java.util.function.Supplier<T> body) {
        EmulatedDeviceBackend inner = new EmulatedDeviceBackend();
        Backend device = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("computeType")) return args[0] == DType.BF16 ? DType.BF16 : DType.F32;
                    if (method.getName().equals("matmul") && ((Tensor) args[0]).dtype() == DType.BF16) {
                        assertEquals(DType.BF16, ((Tensor) args[1]).dtype());
                        bf16Gemms.incrementAndGet();
                        try (Tensor wa = widen(inner, (Tensor) args[0]); Tensor wb = widen(inner, (Tensor) args[1])) {
                            inner.matmul(wa, wb, (Tensor) args[2], (float) args[3], (float) args[4]);
                        }
                        return null;
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return onDevice(device, inner, body);
    }

    /** An F32 copy of a BF16 device tensor (a transposed view stays one). */
    private static Tensor widen(Backend be, Tensor x) {
        Tensor stored = x.isTransposed() ? x.t() : x.detach();
        Tensor wide = Scope.escape(() -> Tensor.empty(Device.CUDA, DType.F32, stored.shape()));
        be.copy(stored, wide);
        stored.close();
        if (!x.isTransposed()) return wide;
        Tensor view = wide.t();
        wide.close();
        return view;
    }
}
