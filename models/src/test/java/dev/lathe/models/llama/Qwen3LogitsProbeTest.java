package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Fixtures;
import dev.lathe.models.LogitsProbe;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * qwen3-tiny (GQA 4/2 heads, head_dim 8 ≠ 24/4, q/k norms, θ 1e6, tied head, BF16 file) against PyTorch's float64
 * logits probe: unpadded, and padded on either side.
 */
class Qwen3LogitsProbeTest {

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
            LogitsProbe.checkPositions(probe, model.logits(hidden).toFloatArray(), t, model.config().vocabSize(), "unpadded");
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
                float[][] rows = LogitsProbe.paddedRows(model, ids, lengths, t, eos, side);
                for (int b = 0; b < 2; b++) LogitsProbe.checkPositions(probe, rows[b], lengths[b], v, side + " row " + b);
            }
        }
    }
}
