package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static dev.lathe.kernels.Close.assertCloseToScale;
import static dev.lathe.kernels.OnDevice.assertOnDevice;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.ReduceOps;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Fused linear log-probs and masked cross-entropy on the (emulated) device against float64 and the host path. */
class DeviceLogProbsTest {
    private static final int N = 37, D = 19, V = 1031;
    /** Five rows of logits a chunk: 37 rows do not divide into it. */
    private static final long CHUNK = 5L * V * Float.BYTES + 7;

    private final Random rng = new Random(11);
    private final float[] h = gaussian(N * D, 1), w = gaussian(V * D, 0.5);
    private final int[] y = targets();
    private final Float64LogProbs ref = new Float64LogProbs(h, w, y, N, D, V);

    private float[] gaussian(int n, double std) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (std * rng.nextGaussian());
        return x;
    }

    private int[] targets() {
        int[] t = new int[N];
        for (int i = 0; i < N; i++) t[i] = rng.nextInt(4) == 0 ? LossOps.IGNORE_INDEX : rng.nextInt(V);
        return t;
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @Test
    void twoPassWithEntropyMatchesFloat64OnTheDevice() {
        double[] a = widen(gaussian(N, 1)), b = widen(gaussian(N, 1));
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                Tensor hd = OnDevice.tensor(h, N, D).requiresGrad(true), wd = OnDevice.tensor(w, V, D).requiresGrad(true);
                var ph = new OnDevice.Probe();
                var pw = new OnDevice.Probe();
                var out = FusedLinearLogProbs.forward(ph.watch(hd), pw.watch(wd), OnDevice.ints(y), true, CHUNK);
                assertOnDevice(out.logp(), out.entropy());
                assertClose("logp", ref.logp, out.logp().toFloatArray(), 1e-5, 0.1);
                assertClose("entropy", ref.entropy, out.entropy().toFloatArray(), 1e-5, 0.1);
                // L = Σ a·logp + Σ b·entropy, reduced on the host (core ops may not run on the device yet).
                Tensor logp = out.logp().to(dev.lathe.core.Device.CPU), ent = out.entropy().to(dev.lathe.core.Device.CPU);
                Tensor loss = ElementwiseOps.add(
                        ReduceOps.sum(ElementwiseOps.mul(withHistory(out.logp(), logp), Tensor.of(floats(a), N))),
                        ReduceOps.sum(ElementwiseOps.mul(withHistory(out.entropy(), ent), Tensor.of(floats(b), N))));
                loss.backward();
                double[][] want = ref.gradients(a, b);
                assertCloseToScale("dh", want[0], ph.onDevice(), 1e-5);
                assertCloseToScale("dw", want[1], pw.onDevice(), 1e-5);
            }
        });
    }

    @Test
    void entropyOnlyGradientMatchesFloat64() {
        double[] b = widen(gaussian(N, 1));
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                Tensor hd = OnDevice.tensor(h, N, D).requiresGrad(true), wd = OnDevice.tensor(w, V, D);
                var ph = new OnDevice.Probe();
                var out = FusedLinearLogProbs.forward(ph.watch(hd), wd, OnDevice.ints(y), true, CHUNK);
                Tensor ent = out.entropy().to(dev.lathe.core.Device.CPU);
                ReduceOps.sum(ElementwiseOps.mul(withHistory(out.entropy(), ent), Tensor.of(floats(b), N))).backward();
                assertCloseToScale("dh", ref.gradients(new double[N], b)[0], ph.onDevice(), 1e-5);
            }
        });
    }

    @Test
    void singlePassMatchesFloat64AndTheHostPath() {
        double[] weights = widen(gaussian(N, 1));
        double objective = 0;
        for (int i = 0; i < N; i++) if (y[i] != LossOps.IGNORE_INDEX) objective += weights[i] * ref.logp[i];
        double[][] want = ref.gradients(weights, null);
        for (int i = 0; i < want[0].length; i++) want[0][i] *= 3;
        for (int i = 0; i < want[1].length; i++) want[1][i] *= 3;
        double expected = objective;
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                Tensor hd = OnDevice.tensor(h, N, D).requiresGrad(true), wd = OnDevice.tensor(w, V, D).requiresGrad(true);
                var ph = new OnDevice.Probe();
                var pw = new OnDevice.Probe();
                // Host targets and weights: copied to the device by the kernel.
                var fused = FusedLinearLogProbs.forwardBackward(ph.watch(hd), pw.watch(wd), Tensor.ofInts(y),
                        Tensor.of(floats(weights), N), CHUNK);
                assertOnDevice(fused.logp(), fused.objective());
                assertClose("logp", ref.logp, fused.logp().toFloatArray(), 1e-5, 0.1);
                assertClose("objective", expected, fused.objective().item(), 1e-5, 1);
                fused.objective().backward(Tensor.scalar(3f)); // an upstream 3 scales the precomputed gradients
                assertCloseToScale("dh", want[0], ph.onDevice(), 1e-5);
                assertCloseToScale("dw", want[1], pw.onDevice(), 1e-5);
            }
        });
        try (var s = Scope.open()) {
            var host = FusedLinearLogProbs.forwardBackward(Tensor.of(h, N, D), Tensor.of(w, V, D), Tensor.ofInts(y),
                    Tensor.of(floats(weights), N), CHUNK);
            assertClose("host objective", expected, host.objective().item(), 1e-5, 1);
        }
    }

    @Test
    void maskedCrossEntropyMatchesTheHostLoss() {
        float[][] grads = new float[2][];
        float[] deviceLoss = new float[1];
        OnDevice.emulated(() -> {
            try (var s = Scope.open()) {
                Tensor hd = OnDevice.tensor(h, N, D).requiresGrad(true), wd = OnDevice.tensor(w, V, D).requiresGrad(true);
                var ph = new OnDevice.Probe();
                var pw = new OnDevice.Probe();
                Tensor targets = OnDevice.ints(y);
                Tensor loss = MaskedCrossEntropy.loss(ph.watch(hd), pw.watch(wd), targets,
                        MaskedCrossEntropy.countedTokens(targets), CHUNK);
                assertOnDevice(loss);
                deviceLoss[0] = loss.item();
                loss.backward();
                grads[0] = ph.onDevice();
                grads[1] = pw.onDevice();
            }
        });
        try (var s = Scope.open()) {
            Tensor hh = Tensor.of(h, N, D).requiresGrad(true), ww = Tensor.of(w, V, D).requiresGrad(true);
            Tensor loss = MaskedCrossEntropy.loss(hh, ww, Tensor.ofInts(y), MaskedCrossEntropy.countedTokens(Tensor.ofInts(y)), CHUNK);
            loss.backward();
            assertClose("loss", loss.item(), deviceLoss[0], 1e-6, 1);
            assertCloseToScale("dh", widen(hh.grad().toFloatArray()), grads[0], 1e-5);
            assertCloseToScale("dw", widen(ww.grad().toFloatArray()), grads[1], 1e-5);
        }
    }

    /** A host copy of a device output that back-propagates into it (core's reductions run on the host here). */
    private static Tensor withHistory(Tensor deviceOut, Tensor hostCopy) {
        return dev.lathe.core.autograd.Node.record(hostCopy, "toHost", (g, needs) -> new Tensor[] {g}, deviceOut);
    }

    private static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
