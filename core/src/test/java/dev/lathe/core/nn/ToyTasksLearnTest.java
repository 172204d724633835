package dev.lathe.core.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.core.optim.GradClip;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** End to end through autograd and AdamW: small models must actually learn. */
class ToyTasksLearnTest {

    /** Inside or outside a circle of radius 1 in [-2, 2]²: not linearly separable. */
    @Test
    void mlpLearnsACircle() {
        Random rng = new Random(3);
        int n = 128;
        float[] xs = new float[n * 2];
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) {
            float a = rng.nextFloat() * 4 - 2, b = rng.nextFloat() * 4 - 2;
            xs[2 * i] = a;
            xs[2 * i + 1] = b;
            ys[i] = a * a + b * b < 1.5f ? 1 : 0;
        }
        var fc1 = new Linear(2, 32, true, rng);
        var fc2 = new Linear(32, 2, true, rng);
        var params = new java.util.ArrayList<>(fc1.parameters());
        params.addAll(fc2.parameters());
        long before = HostAllocator.liveBytes();
        float first = 0, last = 0;
        try (var opt = new AdamW(params, AdamWConfig.pytorchDefaults().withLr(0.02f));
             Tensor x = Tensor.of(xs, n, 2); Tensor y = Tensor.ofInts(ys, n)) {
            for (int step = 0; step < 400; step++) {
                try (var s = Scope.open()) {
                    Tensor logits = fc2.forward(ElementwiseOps.tanh(fc1.forward(x)));
                    Tensor loss = LossOps.crossEntropy(logits, y, LossOps.IGNORE_INDEX);
                    fc1.zeroGrad();
                    fc2.zeroGrad();
                    loss.backward();
                    opt.step();
                    if (step == 0) first = loss.item();
                    last = loss.item();
                }
            }
            int correct = 0;
            try (var s = Scope.open()) {
                float[] logits = fc2.forward(ElementwiseOps.tanh(fc1.forward(x))).toFloatArray();
                for (int i = 0; i < n; i++) if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) == ys[i]) correct++;
            }
            assertTrue(first > 0.5f && last < 0.15f, "loss " + first + " -> " + last);
            assertTrue(correct >= 0.95 * n, correct + " of " + n + " correct");
        }
        // Steps allocate only inside their scope: the grads and the optimizer moments are what remains.
        long expected = 3 * 4L * (2 * 32 + 32 + 32 * 2 + 2); // grads, m, v
        assertTrue(HostAllocator.liveBytes() - before <= expected, "leak: " + (HostAllocator.liveBytes() - before));
        fc1.close();
        fc2.close();
    }

    /** A two-block causal transformer learns "output the previous token", which needs attention. */
    @Test
    void twoBlockTransformerLearnsToCopyThePreviousToken() {
        Random rng = new Random(11);
        int vocab = 10, t = 8, c = 32, heads = 4, batch = 16;
        var tokEmb = new Embedding(vocab, c, 0.3f, rng);
        var posEmb = new Embedding(t, c, 0.3f, rng);
        var block1 = new TransformerBlock(c, heads, 1e-5f, rng);
        var block2 = new TransformerBlock(c, heads, 1e-5f, rng);
        var lnF = new LayerNorm(c, 1e-5f);
        var head = new Linear(c, vocab, false, rng);
        Module[] modules = {tokEmb, posEmb, block1, block2, lnF, head};
        var params = new java.util.ArrayList<Tensor>();
        for (Module m : modules) params.addAll(m.parameters());
        int[] positions = new int[batch * t];
        for (int i = 0; i < positions.length; i++) positions[i] = i % t;
        float first = 0, last = 0;
        double accuracy = 0;
        try (var opt = new AdamW(params, AdamWConfig.pytorchDefaults().withLr(3e-3f));
             Tensor pos = Tensor.ofInts(positions, batch, t)) {
            for (int step = 0; step < 300; step++) {
                int[] ids = new int[batch * t], targets = new int[batch * t];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = rng.nextInt(vocab);
                    targets[i] = i % t == 0 ? LossOps.IGNORE_INDEX : ids[i - 1];
                }
                try (var s = Scope.open()) {
                    Tensor x = ElementwiseOps.add(tokEmb.forward(Tensor.ofInts(ids, batch, t)), posEmb.forward(pos));
                    Tensor h = lnF.forward(block2.forward(block1.forward(x, null), null));
                    Tensor logits = head.forward(h).view(batch * t, vocab);
                    Tensor y = Tensor.ofInts(targets);
                    Tensor loss = LossOps.crossEntropy(logits, y, LossOps.IGNORE_INDEX);
                    for (Module m : modules) m.zeroGrad();
                    loss.backward();
                    GradClip.clipGradNorm(params, 1.0);
                    opt.step();
                    if (step == 0) first = loss.item();
                    last = loss.item();
                    if (step == 299) {
                        float[] l = logits.toFloatArray();
                        int correct = 0, counted = 0;
                        for (int r = 0; r < batch * t; r++) {
                            if (targets[r] == LossOps.IGNORE_INDEX) continue;
                            int best = 0;
                            for (int j = 1; j < vocab; j++) if (l[r * vocab + j] > l[r * vocab + best]) best = j;
                            counted++;
                            if (best == targets[r]) correct++;
                        }
                        accuracy = (double) correct / counted;
                    }
                }
            }
        } finally {
            for (Module m : modules) m.close();
        }
        assertTrue(first > 2.0f, "initial loss " + first + " should be near ln(10)");
        assertTrue(last < 0.2f, "final loss " + last);
        assertTrue(accuracy > 0.95, "accuracy " + accuracy);
    }
}
