package dev.lathe.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.TrainFixture;
import dev.lathe.train.data.SftData;
import dev.lathe.train.data.SftExample;
import dev.lathe.train.trainer.StepMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SFT objective's gradient, parameter by parameter, against PyTorch's float64 reference (gpt2-tiny policy,
 * the whole sft.jsonl as one step), accumulated over micro-batches of 2 rows in a shuffled order.
 */
class SftTaskTest {
    @TempDir
    Path dir;

    @Test
    void everyParameterGradientNormMatchesTheReference() throws IOException {
        JsonNode expected = TrainFixture.expected().get("sft");
        Path policy = TrainFixture.modelDir(dir, "policy");
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromDirectory(policy);
        try (Gpt2Model model = Gpt2Model.load(policy)) {
            List<SftExample> rows = SftData.load(TrainFixture.dataFile(dir, "sft.jsonl"), tok, 128).rows();
            var task = new SftTask(model, rows, tok.eosTokenId(), d -> {
                throw new AssertionError("not saved");
            });
            double normaliser = 0;
            for (int i = 0; i < task.size(); i++) normaliser += task.normaliserShare(i);
            assertEquals(expected.get("num_tokens").asInt(), (int) normaliser);

            double loss = 0;
            for (int[] micro : new int[][] {{4, 1}, {0, 5}, {3, 2}}) {
                try (var s = Scope.open()) {
                    loss += task.accumulate(micro, normaliser, new StepMetrics()).loss();
                }
            }
            double want = expected.get("loss").asDouble();
            assertTrue(TrainFixture.close(want, loss, 1e-4), "loss " + loss + ", want " + want);
            Map<String, Tensor> params = model.namedParameters();
            JsonNode norms = expected.get("param_grad_norms");
            assertEquals(norms.size(), params.size());
            for (var e : params.entrySet()) {
                double wantNorm = norms.get(e.getKey()).asDouble(), got = l2(e.getValue().grad());
                assertTrue(TrainFixture.close(wantNorm, got, 1e-3), e.getKey() + ": " + got + ", want " + wantNorm);
            }
            model.zeroGrad();
        }
    }

    private static double l2(Tensor t) {
        double sq = 0;
        for (float v : t.toFloatArray()) sq += (double) v * v;
        return Math.sqrt(sq);
    }
}
