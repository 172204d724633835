package dev.lathe.models.gpt2;

import static dev.lathe.models.DropoutRows.SAME;
import static dev.lathe.models.DropoutRows.forwardAndGradient;
import static dev.lathe.models.DropoutRows.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.nn.Dropout;
import dev.lathe.models.Fixtures;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * GPT-2's dropout sites: off by default, exactly the identity at p = 0 or in evaluation mode (outputs and
 * gradients bit for bit), and with p > 0 a train-mode forward that differs per call yet is reproduced by the seed.
 */
class Gpt2DropoutTest {

    @Test
    void trainModeWithDropoutZeroEqualsEvalMode() throws IOException {
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            Dropout.enableAll(model, 0f, 42L);
            model.train();
            float[][] train = forwardAndGradient(model);
            model.eval();
            float[][] eval = forwardAndGradient(model);
            assertArrayEquals(eval[0], train[0], SAME, "hidden states");
            assertArrayEquals(eval[1], train[1], SAME, "wte gradient");
        }
    }

    @Test
    void dropoutActsOnlyInTrainModeAndFollowsTheSeed() throws IOException {
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            float[] plain = forwardAndGradient(model)[0]; // dropout off by default
            Dropout.enableAll(model, 0.1f, 7L);
            float[] first = forwardAndGradient(model)[0], second = forwardAndGradient(model)[0];
            assertTrue(maxAbsDiff(plain, first) > 1e-3, "p = 0.1 changes a train-mode forward");
            assertTrue(maxAbsDiff(first, second) > 1e-3, "each forward draws fresh masks");
            Dropout.enableAll(model, 0.1f, 7L);
            assertArrayEquals(first, forwardAndGradient(model)[0], SAME, "the same seed draws the same masks");
            model.eval();
            assertArrayEquals(plain, forwardAndGradient(model)[0], SAME, "evaluation mode drops nothing");
        }
    }
}
