package dev.lathe.models.gpt2;

import static dev.lathe.models.Fixtures.assertClose;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Fixtures;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The BF16 policy's logits on the probe ids against PyTorch's float64 values, unpadded and padded either side. */
class Gpt2LogitsProbeTest {
    private static final double TOL = 1e-4;

    @Test
    void policyLogitsMatchPyTorch() throws IOException {
        JsonNode probe = Fixtures.expectedLogits();
        int[] ids = Fixtures.ints(probe.get("ids"));
        int t = ids.length;
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            int[] lengths = {t};
            Tensor logits = model.logits(model.forward(Tensor.ofInts(ids, 1, t), Padding.positions(lengths, t, Side.RIGHT), null));
            checkPositions(probe, logits.toFloatArray(), t, model.config().vocabSize(), "unpadded");
        }
    }

    /**
     * A batch of the probe (21 tokens) and its first 10 tokens, padded with eos to T = 24 on either side: each
     * row's real positions get the unpadded logits (causality makes the prefix's logits the probe's first 10).
     */
    @Test
    void paddingEitherSideGivesTheUnpaddedLogits() throws IOException {
        JsonNode probe = Fixtures.expectedLogits();
        int[] ids = Fixtures.ints(probe.get("ids"));
        int[] lengths = {ids.length, 10};
        int t = 24, eos = 50256;
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
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
                    float[] row = Arrays.copyOfRange(logits, from, from + lengths[b] * v);
                    checkPositions(probe, row, lengths[b], v, side + " row " + b);
                }
            }
        }
    }

    /** Flat logits [count, V] against the probe's first {@code count} log-sum-exps (and its last 8 logits if whole). */
    private static void checkPositions(JsonNode probe, float[] logits, int count, int v, String what) {
        double[] lse = Fixtures.doubles(probe.get("row_logsumexp"));
        double[] last8 = Fixtures.doubles(probe.get("last_row_first8"));
        for (int pos = 0; pos < count; pos++) {
            int base = pos * v;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[base + j]);
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.exp(logits[base + j] - max);
            assertClose(lse[pos], max + Math.log(sum), TOL, what + ": logsumexp at position " + pos);
        }
        if (count < lse.length) return;
        int lastBase = (lse.length - 1) * v;
        for (int j = 0; j < last8.length; j++) {
            assertClose(last8[j], logits[lastBase + j], TOL, what + ": last position logit " + j);
        }
    }
}
