package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static dev.lathe.kernels.Close.assertCloseToScale;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.LossOps;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MaskedCrossEntropyTest {
    private static final int N = 41, D = 23, V = 997;

    @Test
    void tokenMeanMatchesFloat64AndItsGradients() {
        Random rng = new Random(21);
        float[] hf = new float[N * D], wf = new float[V * D];
        for (int i = 0; i < hf.length; i++) hf[i] = (float) rng.nextGaussian();
        for (int i = 0; i < wf.length; i++) wf[i] = (float) (0.4 * rng.nextGaussian());
        int[] y = new int[N];
        for (int i = 0; i < N; i++) y[i] = i % 3 == 0 ? LossOps.IGNORE_INDEX : rng.nextInt(V);
        Float64LogProbs ref = new Float64LogProbs(hf, wf, y, N, D, V);
        int counted = (int) Arrays.stream(y).filter(t -> t != LossOps.IGNORE_INDEX).count();
        double want = 0;
        double[] dlogp = new double[N];
        for (int i = 0; i < N; i++) {
            if (y[i] == LossOps.IGNORE_INDEX) continue;
            want -= ref.logp[i] / counted;
            dlogp[i] = -1.0 / counted;
        }
        double[][] grads = ref.gradients(dlogp, null);
        try (var s = Scope.open()) {
            Tensor h = Tensor.of(hf, N, D).requiresGrad(true), w = Tensor.of(wf, V, D).requiresGrad(true);
            Tensor targets = Tensor.ofInts(y);
            assertEquals(counted, MaskedCrossEntropy.countedTokens(targets));
            Tensor loss = MaskedCrossEntropy.loss(h, w, targets, counted, 4L * V * Float.BYTES);
            assertClose("loss", want, loss.item(), 1e-5, 0.1);
            loss.backward();
            assertCloseToScale("dh", grads[0], h.grad().toFloatArray(), 1e-5);
            assertCloseToScale("dw", grads[1], w.grad().toFloatArray(), 1e-5);
            float[] fullDh = h.grad().toFloatArray(), fullDw = w.grad().toFloatArray();
            h.zeroGrad();
            w.zeroGrad();

            // Gradient accumulation: two micro-batches normalised by the whole batch's count add up exactly.
            int split = 17;
            Tensor l1 = MaskedCrossEntropy.loss(h.slice(0, split), w, Tensor.ofInts(Arrays.copyOfRange(y, 0, split)), counted);
            Tensor l2 = MaskedCrossEntropy.loss(h.slice(split, N), w, Tensor.ofInts(Arrays.copyOfRange(y, split, N)), counted);
            l1.backward();
            l2.backward();
            assertClose("micro-batch sum", want, l1.item() + l2.item(), 1e-5, 0.1);
            assertCloseToScale("accumulated dh", widen(fullDh), h.grad().toFloatArray(), 1e-5);
            assertCloseToScale("accumulated dw", widen(fullDw), w.grad().toFloatArray(), 1e-5);
            h.zeroGrad();
            w.zeroGrad();

            // The default normaliser is this batch's count.
            assertClose("default normaliser", want, MaskedCrossEntropy.loss(h, w, targets).item(), 1e-5, 0.1);
        }
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
