package dev.lathe.models.llama;

import static dev.lathe.models.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Fixtures;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * qwen3-tiny (GQA 4/2 heads, head_dim 8 ≠ 24/4, q/k norms, θ 1e6, tied head, BF16 file) against PyTorch's float64
 * logits probe: unpadded, and padded on either side.
 */
class Qwen3LogitsProbeTest {
    private static final double TOL = 1e-4;

    @Test
    void policyLogitsMatchPyTorch() throws IOException {
        JsonNode probe = Qwen3Fixture.expected().get("logits");
        int[] ids = Fixtures.ints(probe.get("ids"));
        int t = ids.length;
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            assertEquals(LlamaFamily.QWEN3, model.config().family());
            assertEquals(DType.BF16, model.checkpointDtype());
            Tensor hidden = model.forward(Tensor.ofInts(ids, 1, t), Padding.positions(new int[] {t}, t, Side.RIGHT), null);
            checkPositions(probe, model.logits(hidden).toFloatArray(), t, model.config().vocabSize(), "unpadded");
        }
    }

    /** The probe and its first 5 tokens, padded with eos to T = 11 on either side: each row keeps its logits. */
    @Test
    void paddingEitherSideGivesTheUnpaddedLogits() throws IOException {
        JsonNode probe = Qwen3Fixture.expected().get("logits");
        int[] ids = Fixtures.ints(probe.get("ids"));
        int[] lengths = {ids.length, 5};
        int t = 11, eos = Qwen3Fixture.expected().get("eos_token_id").intValue();
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            int v = model.config().vocabSize();
            for (Side side : Side.values()) {
                int[] batch = new int[2 * t];
                Arrays.fill(batch, eos);
                int[] first = new int[2];
                for (int b = 0; b < 2; b++) {
                    first[b] = side == Side.RIGHT ? 0 : t - lengths[b];
                    System.arraycopy(ids, 0, batch, b * t + first[b], lengths[b]);
                }
                Tensor hidden = model.forward(Tensor.ofInts(batch, 2, t), Padding.positions(lengths, t, side),
                        Padding.mask(lengths, t, side));
                float[] logits = model.logits(hidden).toFloatArray();
                for (int b = 0; b < 2; b++) {
                    int from = (b * t + first[b]) * v;
                    checkPositions(probe, Arrays.copyOfRange(logits, from, from + lengths[b] * v), lengths[b], v,
                            side + " row " + b);
                }
            }
        }
    }

    /** Flat logits [count, V] against the probe's first {@code count} log-sum-exps (and its last row's first 8). */
    static void checkPositions(JsonNode probe, float[] logits, int count, int v, String what) {
        double[] lse = Fixtures.doubles(probe.get("row_logsumexp"));
        double[] last8 = Fixtures.doubles(probe.get("last_row_first8"));
        for (int pos = 0; pos < count; pos++) {
            assertClose(lse[pos], Qwen3Fixture.logSumExp(logits, pos, v), TOL, what + ": logsumexp at position " + pos);
        }
        if (count < lse.length) return;
        int lastBase = (lse.length - 1) * v;
        for (int j = 0; j < last8.length; j++) {
            assertClose(last8[j], logits[lastBase + j], TOL, what + ": last position logit " + j);
        }
    }
}
