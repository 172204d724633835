package dev.lathe.models.llama;

import static dev.lathe.models.DropoutRows.SAME;
import static dev.lathe.models.DropoutRows.forwardAndGradient;
import static dev.lathe.models.DropoutRows.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.nn.Dropout;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The Llama family's one dropout site, attention_dropout on each layer's attention probabilities: off by default,
 * the identity at p = 0 or in evaluation mode (outputs and gradients), and with p > 0 a train-mode forward that
 * differs per call yet is reproduced by the seed.
 */
class LlamaDropoutTest {

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
}
