package dev.lathe.models.llama;

import dev.lathe.models.CausalLm;
import dev.lathe.models.PackedForwardCheck;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Packed rows on the Llama family: sequences concatenated into one row, each with positions from 0 (so its rotary
 * angles restart) and its own document id, give the hidden states each sequence gets alone.
 */
class LlamaPackedForwardTest {
    @Test
    void qwen3FixturePackedSequencesEqualEachSequenceAlone() throws IOException {
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            check(model);
        }
    }

    /** GQA 4/2, biases and Llama 3 rope scaling. */
    @Test
    void llamaPackedSequencesEqualEachSequenceAlone() {
        try (LlamaModel model = LlamaConfigs.randomModel(LlamaConfigs.llama(), 5)) {
            check(model);
        }
    }

    private static void check(CausalLm model) {
        PackedForwardCheck.check(model, alone -> 1e-4 * Math.max(1, Math.abs(alone)));
    }
}
