package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static dev.lathe.kernels.Close.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.ReduceOps;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The module's .cu kernels (launched through CudaLaunch on a real GPU) against the host path. */
@Tag("gpu")
class GpuKernelsParityTest {
    private static final int B = 4, T = 9;
    private final Random rng = new Random(17);

    @BeforeEach
    void needsAGpu() {
        String why = Backends.cudaUnavailableReason();
        Assumptions.assumeTrue(why == null, () -> "no CUDA device: " + why);
    }

    private float[] gaussian(int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (std * rng.nextGaussian());
        return x;
    }

    private static Tensor cuda(float[] x, int... shape) {
        try (Tensor host = Tensor.of(x, shape)) {
            return host.to(Device.CUDA);
        }
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void fusedClassifierKernelsMatchTheHost() {
        int n = 300, d = 64, v = 5000;
        float[] h = gaussian(n * d, 1), w = gaussian(v * d, 0.3), a = gaussian(n, 1), b = gaussian(n, 1);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % 5 == 0 ? LossOps.IGNORE_INDEX : rng.nextInt(v);
        Float64LogProbs ref = new Float64LogProbs(h, w, y, n, d, v);
        long chunk = 64L * v * Float.BYTES; // five chunks
        try (var s = Scope.open()) {
            Tensor hd = cuda(h, n, d).requiresGrad(true), wd = cuda(w, v, d).requiresGrad(true);
            var ph = new OnDevice.Probe();
            var pw = new OnDevice.Probe();
            var out = FusedLinearLogProbs.forward(ph.watch(hd), pw.watch(wd), Tensor.ofInts(y), true, chunk);
            assertClose("logp", ref.logp, out.logp().toFloatArray(), 1e-5, 0.1);
            assertClose("entropy", ref.entropy, out.entropy().toFloatArray(), 1e-5, 0.1);
            Tensor logp = out.logp().to(Device.CPU), ent = out.entropy().to(Device.CPU);
            Tensor loss = ElementwiseOps.add(
                    ReduceOps.sum(ElementwiseOps.mul(withHistory(out.logp(), logp), Tensor.of(a, n))),
                    ReduceOps.sum(ElementwiseOps.mul(withHistory(out.entropy(), ent), Tensor.of(b, n))));
            loss.backward();
            double[][] want = ref.gradients(widen(a), widen(b));
            assertCloseToScale("dh", want[0], ph.onDevice(), 1e-5);
            assertCloseToScale("dw", want[1], pw.onDevice(), 1e-5);

            var ph2 = new OnDevice.Probe();
            var fused = FusedLinearLogProbs.forwardBackward(ph2.watch(hd), wd, Tensor.ofInts(y), Tensor.of(a, n), chunk);
            double objective = 0;
            for (int i = 0; i < n; i++) if (y[i] != LossOps.IGNORE_INDEX) objective += a[i] * ref.logp[i];
            assertClose("objective", objective, fused.objective().item(), 1e-5, 1);
            fused.objective().backward();
            assertCloseToScale("fused dh", ref.gradients(widen(a), null)[0], ph2.onDevice(), 1e-5);
        }
    }

    @Test
    void dpoKernelsMatchTheHost() {
        float[] pc = gaussian(B, 5), pr = gaussian(B, 5), rc = gaussian(B, 5), rr = gaussian(B, 5);
        for (DpoLoss.Type type : DpoLoss.Type.values()) {
            var config = new DpoLoss.Config(type, 0.3, type == DpoLoss.Type.HINGE ? 0 : 0.1, false);
            try (var s = Scope.open()) {
                Tensor hc = Tensor.of(pc, B).requiresGrad(true);
                var host = DpoLoss.compute(hc, Tensor.of(pr, B), Tensor.of(rc, B), Tensor.of(rr, B), config, 6);
                host.loss().backward();
                var probe = new OnDevice.Probe();
                var gpu = DpoLoss.compute(probe.watch(cuda(pc, B).requiresGrad(true)), cuda(pr, B), cuda(rc, B),
                        cuda(rr, B), config, 6);
                assertClose(type + " loss", host.loss().item(), gpu.loss().item(), 1e-6, 1e-3);
                gpu.loss().backward();
                assertClose(type + " dpc", widen(hc.grad().toFloatArray()), probe.onDevice(), 1e-6, 1e-3);
            }
        }
    }

    @Test
    void ppoAndRolloutKernelsMatchTheHost() {
        int n = B * T;
        float[] lp = gaussian(n, 1), old = gaussian(n, 1), a = gaussian(n, 1), vp = gaussian(n, 1);
        float[] values = gaussian(n, 1), ret = gaussian(n, 1), m = new float[n];
        for (int i = 0; i < n; i++) m[i] = i % T < T - i / T ? 1 : 0;
        var config = new PpoLoss.Config(0.2, 0.2, 0.1);
        try (var s = Scope.open()) {
            Tensor hl = Tensor.of(lp, B, T).requiresGrad(true);
            var host = PpoLoss.compute(hl, Tensor.of(old, B, T), Tensor.of(a, B, T), Tensor.of(vp, B, T),
                    Tensor.of(values, B, T), Tensor.of(ret, B, T), Tensor.of(m, B, T), null, config);
            host.loss().backward();
            var probe = new OnDevice.Probe();
            var gpu = PpoLoss.compute(probe.watch(cuda(lp, B, T).requiresGrad(true)), cuda(old, B, T), cuda(a, B, T),
                    cuda(vp, B, T), cuda(values, B, T), cuda(ret, B, T), cuda(m, B, T), null, config);
            assertClose("ppo loss", host.loss().item(), gpu.loss().item(), 1e-5, 1e-3);
            gpu.loss().backward();
            assertClose("ppo dlogp", widen(hl.grad().toFloatArray()), probe.onDevice(), 1e-5, 1e-3);

            compare("advantages", Gae.compute(Tensor.of(a, B, T), Tensor.of(values, B, T), Tensor.of(m, B, T), 0.99, 0.95).advantages(),
                    Gae.compute(cuda(a, B, T), cuda(values, B, T), cuda(m, B, T), 0.99, 0.95).advantages());
            compare("whiten", MaskedWhiten.whiten(Tensor.of(a, B, T), Tensor.of(m, B, T), false),
                    MaskedWhiten.whiten(cuda(a, B, T), cuda(m, B, T), false));
        }
    }

    private static void compare(String what, Tensor host, Tensor gpu) {
        assertTrue(gpu.device() == Device.CUDA, what + " on the GPU");
        assertClose(what, widen(host.toFloatArray()), gpu.toFloatArray(), 1e-5, 1);
    }

    /** A host copy of a device output that back-propagates into it. */
    private static Tensor withHistory(Tensor deviceOut, Tensor hostCopy) {
        return Node.record(hostCopy, "toHost", (g, needs) -> new Tensor[] {g}, deviceOut);
    }
}
