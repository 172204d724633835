package dev.lathe.models.gpt2;


import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Fixtures;
import dev.lathe.models.LogitsProbe;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The BF16 policy's logits on the probe ids against PyTorch's float64 values, unpadded and padded either side. */
class Gpt2LogitsProbeTest {

    @Test
    void policyLogitsMatchPyTorch() throws IOException {
        JsonNode probe = Fixtures.expectedLogits();
        int[] ids = Fixtures.ints(probe.get("ids"));
        int t = ids.length;
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            int[] lengths = {t};
            Tensor logits = model.logits(model.forward(Tensor.ofInts(ids, 1, t), Padding.positions(lengths, t, Side.RIGHT), null));
            LogitsProbe.checkPositions(probe, logits.toFloatArray(), t, model.config().vocabSize(), "unpadded");
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
                float[][] rows = LogitsProbe.paddedRows(model, ids, lengths, t, eos, side);
                for (int b = 0; b < 2; b++) LogitsProbe.checkPositions(probe, rows[b], lengths[b], v, side + " row " + b);
            }
        }
    }
}
