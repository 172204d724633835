package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static dev.lathe.kernels.OnDevice.assertOnDevice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** DPO, PPO and the rollout pieces on the (emulated) device equal the host path (float64 inside). */
class DevicePiecesTest {
    private static final int B = 3, T = 7;

    private final Random rng = new Random(5);

    private float[] gaussian(int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (std * rng.nextGaussian());
        return x;
    }

    /** Response masks: each row's real tokens a prefix of random length (row 1 has a hole, row 2 is empty at the end). */
    private static float[] mask() {
        float[] m = new float[B * T];
        int[] lengths = {7, 5, 3};
        for (int b = 0; b < B; b++) for (int t = 0; t < lengths[b]; t++) m[b * T + t] = 1;
        m[T + 2] = 0;
        return m;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The host result's elements against the device's, which must live on the device. */
    private static void same(String what, Supplier<Tensor> host, Supplier<Tensor> device, double tol) {
        double[] want;
        try (var s = Scope.open()) {
            want = widen(host.get().toFloatArray());
        }
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                Tensor got = device.get();
                assertOnDevice(got);
                assertClose(what, want, got.toFloatArray(), tol, 1);
            }
        });
    }

    @Test
    void positiveIsAnExactStep() {
        float[] x = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, 3.0e38f, -2e-40f};
        float[] want = new float[x.length];
        for (int i = 0; i < x.length; i++) want[i] = x[i] > 0 ? 1f : 0f;
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                assertArrayEquals(want, DeviceMath.positive(OnDevice.tensor(x, x.length)).toFloatArray());
            }
        });
    }

    @Test
    void klEstimatorsMatch() {
        float[] p = gaussian(B * T, 1), q = gaussian(B * T, 1);
        for (KlEstimator k : KlEstimator.values()) {
            same("kl " + k, () -> k.perToken(Tensor.of(p, B, T), Tensor.of(q, B, T)),
                    () -> k.perToken(OnDevice.tensor(p, B, T), Tensor.of(q, B, T)), 1e-6);
        }
    }

    @Test
    void rolloutPiecesMatch() {
        float[] p = gaussian(B * T, 1), q = gaussian(B * T, 1), scores = gaussian(B, 1), m = mask();
        float[] values = gaussian(B * T, 1), rewards = gaussian(B * T, 1);
        same("rewards", () -> PpoRewards.perToken(Tensor.of(p, B, T), Tensor.of(q, B, T), Tensor.of(scores, B),
                        Tensor.of(m, B, T), 0.05, KlEstimator.K3),
                () -> PpoRewards.perToken(OnDevice.tensor(p, B, T), OnDevice.tensor(q, B, T), OnDevice.tensor(scores, B),
                        OnDevice.tensor(m, B, T), 0.05, KlEstimator.K3), 1e-6);
        for (boolean shift : new boolean[] {true, false}) {
            same("whiten " + shift, () -> MaskedWhiten.whiten(Tensor.of(rewards, B, T), Tensor.of(m, B, T), shift),
                    () -> MaskedWhiten.whiten(OnDevice.tensor(rewards, B, T), OnDevice.tensor(m, B, T), shift), 1e-5);
        }
        same("advantages", () -> Gae.compute(Tensor.of(rewards, B, T), Tensor.of(values, B, T), Tensor.of(m, B, T), 0.99, 0.95).advantages(),
                () -> Gae.compute(OnDevice.tensor(rewards, B, T), OnDevice.tensor(values, B, T), OnDevice.tensor(m, B, T), 0.99, 0.95).advantages(), 1e-5);
        same("returns", () -> Gae.compute(Tensor.of(rewards, B, T), Tensor.of(values, B, T), Tensor.of(m, B, T), 1.0, 0.9).returns(),
                () -> Gae.compute(OnDevice.tensor(rewards, B, T), OnDevice.tensor(values, B, T), OnDevice.tensor(m, B, T), 1.0, 0.9).returns(), 1e-5);
        float[] groupRewards = gaussian(12, 2);
        same("grpo", () -> GrpoAdvantages.compute(Tensor.of(groupRewards, 12), 4),
                () -> GrpoAdvantages.compute(OnDevice.tensor(groupRewards, 12), 4), 1e-5);
    }

    @Test
    void dpoLossMetricsAndGradientsMatch() {
        float[] pc = gaussian(4, 5), pr = gaussian(4, 5), rc = gaussian(4, 5), rr = gaussian(4, 5);
        for (DpoLoss.Type type : DpoLoss.Type.values()) {
            for (boolean referenceFree : new boolean[] {false, true}) {
                var config = new DpoLoss.Config(type, 0.3, type == DpoLoss.Type.HINGE ? 0 : 0.1, referenceFree);
                float[] hostLoss = new float[1];
                float[][] hostGrads = new float[2][];
                Map<String, Double> hostMetrics;
                try (var s = Scope.open()) {
                    Tensor c = Tensor.of(pc, 4).requiresGrad(true), r = Tensor.of(pr, 4).requiresGrad(true);
                    var result = DpoLoss.compute(c, r, Tensor.of(rc, 4), Tensor.of(rr, 4), config, 6);
                    hostLoss[0] = result.loss().item();
                    hostMetrics = result.metrics();
                    result.loss().backward(Tensor.scalar(2f));
                    hostGrads[0] = c.grad().toFloatArray();
                    hostGrads[1] = r.grad().toFloatArray();
                }
                String what = type + (referenceFree ? " reference-free" : "");
                OnDevice.emulated(() -> {
                    try (var s = Scope.open()) {
                        var pcProbe = new OnDevice.Probe();
                        var prProbe = new OnDevice.Probe();
                        Tensor c = OnDevice.tensor(pc, 4).requiresGrad(true), r = OnDevice.tensor(pr, 4).requiresGrad(true);
                        var result = DpoLoss.compute(pcProbe.watch(c), prProbe.watch(r), OnDevice.tensor(rc, 4),
                                Tensor.of(rr, 4), config, 6);
                        assertOnDevice(result.loss());
                        assertEquals(hostMetrics, result.metrics(), what + " metrics");
                        assertClose(what + " loss", hostLoss[0], result.loss().item(), 1e-6, 1e-3);
                        result.loss().backward(Tensor.scalar(2f));
                        assertClose(what + " dpc", widen(hostGrads[0]), pcProbe.onDevice(), 1e-6, 1e-3);
                        assertClose(what + " dpr", widen(hostGrads[1]), prProbe.onDevice(), 1e-6, 1e-3);
                    }
                });
            }
        }
    }

    @Test
    void ppoLossStatsAndGradientsMatch() {
        int n = B * T;
        float[] old = gaussian(n, 1), a = gaussian(n, 1), values = gaussian(n, 1), ret = gaussian(n, 1);
        float[] lp = old.clone(), vp = values.clone(), ent = gaussian(n, 1), m = mask();
        // Ratios and value moves on both sides of the clip ranges, and an exact tie (ratio 1).
        for (int i = 1; i < n; i++) {
            lp[i] += (float) (0.6 * rng.nextGaussian());
            vp[i] += (float) (0.6 * rng.nextGaussian());
        }
        var config = new PpoLoss.Config(0.2, 0.2, 0.1);
        PpoLoss.Stats hostStats;
        float[] hostLoss = new float[1];
        float[][] hostGrads = new float[2][];
        try (var s = Scope.open()) {
            Tensor l = Tensor.of(lp, B, T).requiresGrad(true), v = Tensor.of(vp, B, T).requiresGrad(true);
            var result = PpoLoss.compute(l, Tensor.of(old, B, T), Tensor.of(a, B, T), v, Tensor.of(values, B, T),
                    Tensor.of(ret, B, T), Tensor.of(m, B, T), Tensor.of(ent, B, T), config);
            hostStats = result.stats();
            hostLoss[0] = result.loss().item();
            result.loss().backward(Tensor.scalar(0.5f));
            hostGrads[0] = l.grad().toFloatArray();
            hostGrads[1] = v.grad().toFloatArray();
        }
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                var lProbe = new OnDevice.Probe();
                var vProbe = new OnDevice.Probe();
                Tensor l = OnDevice.tensor(lp, B, T).requiresGrad(true), v = OnDevice.tensor(vp, B, T).requiresGrad(true);
                var result = PpoLoss.compute(lProbe.watch(l), Tensor.of(old, B, T), OnDevice.tensor(a, B, T), vProbe.watch(v),
                        OnDevice.tensor(values, B, T), OnDevice.tensor(ret, B, T), OnDevice.tensor(m, B, T),
                        OnDevice.tensor(ent, B, T), config);
                assertOnDevice(result.loss());
                Map<String, Double> want = hostStats.metrics(), got = result.stats().metrics();
                assertEquals(want.keySet(), got.keySet());
                for (var e : want.entrySet()) assertClose(e.getKey(), e.getValue(), got.get(e.getKey()), 1e-5, 1e-3);
                assertClose("loss", hostLoss[0], result.loss().item(), 1e-5, 1e-3);
                result.loss().backward(Tensor.scalar(0.5f));
                assertClose("dlogp", widen(hostGrads[0]), lProbe.onDevice(), 1e-5, 1e-3);
                assertClose("dvpred", widen(hostGrads[1]), vProbe.onDevice(), 1e-5, 1e-3);
            }
        });
    }
}
