package dev.lathe.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Fixtures;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Packed rows: sequences concatenated into one row, each with positions from 0 and its own document id, give the
 * hidden states each sequence gets alone.
 */
class Gpt2PackedForwardTest {
    @Test
    void packedSequencesEqualEachSequenceAlone() throws IOException {
        int[] lengths = {5, 1, 9};
        int total = 15, c;
        Random rng = new Random(11);
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            c = model.config().nEmbd();
            int[] ids = new int[total], positions = new int[total], documents = new int[total];
            for (int d = 0, t = 0; d < lengths.length; d++) {
                for (int i = 0; i < lengths[d]; i++, t++) {
                    ids[t] = rng.nextInt(model.config().vocabSize());
                    positions[t] = i;
                    documents[t] = d;
                }
            }
            float[] packed = model.forward(Tensor.ofInts(ids, 1, total), Tensor.ofInts(positions, 1, total), null,
                    Tensor.ofInts(documents, 1, total)).toFloatArray();
            for (int d = 0, t0 = 0; d < lengths.length; t0 += lengths[d], d++) {
                int len = lengths[d];
                int[] own = new int[len], pos = new int[len];
                for (int i = 0; i < len; i++) {
                    own[i] = ids[t0 + i];
                    pos[i] = i;
                }
                float[] alone = model.forward(Tensor.ofInts(own, 1, len), Tensor.ofInts(pos, 1, len), null).toFloatArray();
                for (int i = 0; i < len * c; i++) {
                    assertEquals(alone[i], packed[t0 * c + i], 1e-5, "sequence " + d + " element " + i);
                }
            }
        }
    }
}
