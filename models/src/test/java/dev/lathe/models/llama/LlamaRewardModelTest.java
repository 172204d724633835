package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Llama-family sequence classification: score.weight · the causal LM's final hidden state at each row's last token. */
class LlamaRewardModelTest {
    private static final int[] LONG = {4, 9, 1, 17, 6, 2, 8}, SHORT = {5, 3, 12};

    @TempDir
    Path tmp;

    @Test
    void scoresAreTheHeadOnTheLastHiddenStateEitherPadding() throws IOException {
        Path lmDir = tmp.resolve("lm"), rmDir = tmp.resolve("rm");
        try (LlamaModel lm = LlamaConfigs.randomModel(LlamaConfigs.llama(), 31)) {
            lm.save(lmDir, DType.F32);
        }
        try (LlamaModel lm = LlamaModel.load(lmDir);
             LlamaRewardModel rm = LlamaRewardModel.fromCausalLm(lmDir, 1, new Random(2));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            float[] head = rm.namedParameters().get("score.weight").toFloatArray();
            int c = lm.config().hiddenSize();
            double[] want = new double[2];
            int[][] rows = {LONG, SHORT};
            for (int b = 0; b < 2; b++) {
                int t = rows[b].length;
                float[] h = lm.forward(LlamaConfigs.ids(rows[b]), Padding.positions(new int[] {t}, t, Side.RIGHT), null)
                        .toFloatArray();
                for (int j = 0; j < c; j++) want[b] += (double) head[j] * h[(t - 1) * c + j];
            }
            int t = LONG.length;
            int[] lengths = {LONG.length, SHORT.length};
            for (Side side : Side.values()) {
                int[] ids = new int[2 * t];
                System.arraycopy(LONG, 0, ids, 0, t);
                System.arraycopy(SHORT, 0, ids, t + (side == Side.LEFT ? t - SHORT.length : 0), SHORT.length);
                float[] got = rm.scores(Tensor.ofInts(ids, 2, t), Padding.positions(lengths, t, side),
                        Padding.mask(lengths, t, side), Padding.lastTokenIndex(lengths, t, side)).toFloatArray();
                for (int b = 0; b < 2; b++) assertEquals(want[b], got[b], 1e-4 * Math.max(1, Math.abs(want[b])), side + " row " + b);
            }
            rm.save(rmDir, DType.F32);
        }
        try (LlamaRewardModel back = LlamaRewardModel.load(rmDir); var s = Scope.open()) {
            assertEquals(1, back.config().numLabels());
            assertEquals("LlamaForSequenceClassification", back.config().json().path("architectures").path(0).asText());
            try (LlamaRewardModel again = LlamaRewardModel.fromCausalLm(lmDir, 1, new Random(2))) {
                assertArrayEquals(again.namedParameters().get("score.weight").toFloatArray(),
                        back.namedParameters().get("score.weight").toFloatArray());
                assertEquals(Arrays.asList(again.namedParameters().keySet().toArray()),
                        Arrays.asList(back.namedParameters().keySet().toArray()));
            }
        }
    }
}
