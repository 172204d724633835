package dev.lathe.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;

/**
 * Packed rows for any model family: sequences of lengths 5, 1 and 9 concatenated into one row, each with positions
 * from 0 and its own document id, must give the hidden states each sequence gets alone.
 */
public final class PackedForwardCheck {
    private static final int[] LENGTHS = {5, 1, 9};

    private PackedForwardCheck() {}

    /** {@code tolerance} maps the alone value to the allowed absolute difference. */
    public static void check(CausalLm model, DoubleUnaryOperator tolerance) {
        int total = 0;
        for (int len : LENGTHS) total += len;
        int c = model.config().hiddenSize();
        Random rng = new Random(11);
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            int[] ids = new int[total], positions = new int[total], documents = new int[total];
            for (int d = 0, t = 0; d < LENGTHS.length; d++) {
                for (int i = 0; i < LENGTHS[d]; i++, t++) {
                    ids[t] = rng.nextInt(model.config().vocabSize());
                    positions[t] = i;
                    documents[t] = d;
                }
            }
            float[] packed = model.forward(Tensor.ofInts(ids, 1, total), Tensor.ofInts(positions, 1, total), null,
                    Tensor.ofInts(documents, 1, total)).toFloatArray();
            for (int d = 0, t0 = 0; d < LENGTHS.length; t0 += LENGTHS[d], d++) {
                int len = LENGTHS[d];
                int[] own = new int[len], pos = new int[len];
                for (int i = 0; i < len; i++) {
                    own[i] = ids[t0 + i];
                    pos[i] = i;
                }
                float[] alone = model.forward(Tensor.ofInts(own, 1, len), Tensor.ofInts(pos, 1, len), null).toFloatArray();
                for (int i = 0; i < len * c; i++) {
                    assertEquals(alone[i], packed[t0 * c + i], tolerance.applyAsDouble(alone[i]),
                            "sequence " + d + " element " + i);
                }
            }
        }
    }
}
