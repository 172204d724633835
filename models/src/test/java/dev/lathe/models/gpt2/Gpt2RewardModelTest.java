package dev.lathe.models.gpt2;

import static dev.lathe.models.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.Fixtures;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** GPT2ForSequenceClassification: the score is score.weight · the hidden state at each row's last real token. */
class Gpt2RewardModelTest {
    private static final int EOS = 50256;

    @Test
    void scoreIsTheHeadDottedWithTheLastHiddenState() throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expectedLogits().get("ids"));
        int t = ids.length;
        try (Gpt2RewardModel rm = Gpt2RewardModel.load(Fixtures.gpt2Tiny("rm"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            assertEquals(1, rm.config().numLabels());
            int[] lengths = {t};
            Tensor hidden = rm.forward(Tensor.ofInts(ids, 1, t), Padding.positions(lengths, t, Side.RIGHT), null);
            float[] score = rm.scores(hidden, Padding.lastTokenIndex(lengths, t, Side.RIGHT)).toFloatArray();
            assertEquals(1, score.length);

            float[] w = rm.namedParameters().get("score.weight").toFloatArray();
            float[] h = hidden.toFloatArray();
            int c = w.length;
            double want = 0;
            for (int j = 0; j < c; j++) want += (double) w[j] * h[(t - 1) * c + j];
            assertClose(want, score[0], 1e-5, "score");
        }
    }

    /** Rows of different lengths, padded with eos (= pad) on either side, score as they do alone. */
    @Test
    void paddedRowsScoreAsAlone() throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expectedLogits().get("ids"));
        int[] lengths = {ids.length, 12, 5};
        int t = ids.length + 2;
        try (Gpt2RewardModel rm = Gpt2RewardModel.load(Fixtures.gpt2Tiny("rm"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            float[] alone = new float[lengths.length];
            for (int b = 0; b < lengths.length; b++) {
                int len = lengths[b];
                int[] one = {len};
                alone[b] = rm.scores(Tensor.ofInts(Arrays.copyOf(ids, len), 1, len), Padding.positions(one, len, Side.RIGHT),
                        null, Padding.lastTokenIndex(one, len, Side.RIGHT)).item();
            }
            for (Side side : Side.values()) {
                int[] batch = new int[lengths.length * t];
                Arrays.fill(batch, EOS);
                for (int b = 0; b < lengths.length; b++) {
                    System.arraycopy(ids, 0, batch, b * t + (side == Side.RIGHT ? 0 : t - lengths[b]), lengths[b]);
                }
                float[] got = rm.scores(Tensor.ofInts(batch, lengths.length, t), Padding.positions(lengths, t, side),
                        Padding.mask(lengths, t, side), Padding.lastTokenIndex(lengths, t, side)).toFloatArray();
                for (int b = 0; b < lengths.length; b++) assertClose(alone[b], got[b], 1e-4, side + " row " + b);
            }
        }
    }

    /** d(score)/d(score.weight) is the gathered hidden state; the body gets gradients through the gather. */
    @Test
    void scoreGradientReachesHeadAndBody() throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expectedLogits().get("ids"));
        int t = ids.length, last = 9;
        try (Gpt2RewardModel rm = Gpt2RewardModel.load(Fixtures.gpt2Tiny("rm")); var s = Scope.open()) {
            Tensor hidden = rm.forward(Tensor.ofInts(ids, 1, t), Padding.positions(new int[] {t}, t, Side.RIGHT), null);
            ReduceOps.sum(rm.scores(hidden, new int[] {last})).backward();
            float[] h = hidden.toFloatArray();
            int c = rm.config().nEmbd();
            assertArrayEquals(Arrays.copyOfRange(h, last * c, (last + 1) * c),
                    rm.namedParameters().get("score.weight").grad().toFloatArray(), 1e-6f);
            assertNotNull(rm.namedParameters().get("transformer.h.0.attn.c_attn.weight").grad());
            rm.zeroGrad();
        }
    }

    /** A reward model started from a language model keeps its body and gets a new head of the asked size. */
    @Test
    void fromCausalLmLoadsTheBodyAndANewHead() throws IOException {
        try (Gpt2RewardModel rm = Gpt2RewardModel.fromCausalLm(Fixtures.gpt2Tiny("policy"), 1, new Random(3));
             Gpt2Model policy = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            assertArrayEquals(new int[] {1, 32}, rm.namedParameters().get("score.weight").shape());
            assertEquals(Integer.valueOf(EOS), rm.config().padTokenId());
            for (var e : policy.namedParameters().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), rm.namedParameters().get(e.getKey()).toFloatArray(), 0f);
            }
        }
    }
}
