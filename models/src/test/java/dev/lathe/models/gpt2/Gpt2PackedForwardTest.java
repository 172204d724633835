package dev.lathe.models.gpt2;

import dev.lathe.models.Fixtures;
import dev.lathe.models.PackedForwardCheck;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Packed rows: sequences concatenated into one row, each with positions from 0 and its own document id, give the
 * hidden states each sequence gets alone.
 */
class Gpt2PackedForwardTest {
    @Test
    void packedSequencesEqualEachSequenceAlone() throws IOException {
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            PackedForwardCheck.check(model, alone -> 1e-5);
        }
    }
}
