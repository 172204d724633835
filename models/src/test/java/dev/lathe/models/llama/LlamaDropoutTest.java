package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Llama family's one dropout site, attention_dropout on each layer's attention probabilities: off by default,
 * the identity at p = 0 or in evaluation mode (outputs and gradients), and with p > 0 a train-mode forward that
 * differs per call yet is reproduced by the seed.
 */
class LlamaDropoutTest {
    private static final int[] LENGTHS = {7, 4};
    private static final int T = 7;
    /** Equal up to float rounding of a reordered sum; a dropped or rescaled probability moves values far more. */
    private static final float SAME = 1e-5f;

    @Test
    void oneSitePerLayer() throws IOException {
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            long sites = model.namedModules().entrySet().stream()
                    .filter(e -> e.getValue() instanceof Dropout && e.getKey().endsWith("self_attn.attention_dropout"))
                    .count();
            assertEquals(model.config().numLayers(), sites);
            assertEquals(sites, model.modules().stream().filter(m -> m instanceof Dropout).count());
        }
    }

    @Test
    void trainModeWithDropoutZeroEqualsEvalMode() throws IOException {
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            Dropout.enableAll(model, 0f, 42L);
            model.train();
            float[][] train = forwardAndGradient(model);
            model.eval();
            float[][] eval = forwardAndGradient(model);
            assertArrayEquals(eval[0], train[0], SAME, "hidden states");
            assertArrayEquals(eval[1], train[1], SAME, "embed_tokens gradient");
        }
    }

    @Test
    void dropoutActsOnlyInTrainModeAndFollowsTheSeed() throws IOException {
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            float[][] plain = forwardAndGradient(model); // dropout off by default
            Dropout.enableAll(model, 0.1f, 7L);
            float[][] first = forwardAndGradient(model), second = forwardAndGradient(model);
            assertTrue(maxAbsDiff(plain[0], first[0]) > 1e-3, "p = 0.1 changes a train-mode forward");
            assertTrue(maxAbsDiff(plain[1], first[1]) > 1e-5, "and its gradient");
            assertTrue(maxAbsDiff(first[0], second[0]) > 1e-3, "each forward draws fresh masks");
            Dropout.enableAll(model, 0.1f, 7L);
            assertArrayEquals(first[0], forwardAndGradient(model)[0], SAME, "the same seed draws the same masks");
            model.eval();
            assertArrayEquals(plain[0], forwardAndGradient(model)[0], SAME, "evaluation mode drops nothing");
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /** {hidden states, embed_tokens' gradient (tied as the head) of Σ hidden ⊙ G} of a fixed right-padded batch. */
    private static float[][] forwardAndGradient(LlamaModel model) {
        Random rng = new Random(3);
        int[] ids = new int[LENGTHS.length * T];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(model.config().vocabSize());
        model.zeroGrad();
        try (var s = Scope.open()) {
            Tensor hidden = model.forward(Tensor.ofInts(ids, LENGTHS.length, T), Padding.positions(LENGTHS, T, Side.RIGHT),
                    Padding.mask(LENGTHS, T, Side.RIGHT));
            float[] g = new float[(int) hidden.numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian();
            ReduceOps.sum(ElementwiseOps.mul(hidden, Tensor.of(g, hidden.shape()))).backward();
            float[][] result = {hidden.toFloatArray(), model.lmHeadWeight().grad().toFloatArray()};
            model.zeroGrad();
            return result;
        }
    }
}
