package dev.lathe.train.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packing changes only the layout: the fixture's SFT rows packed (several to a row) give the same loss sum, the
 * same normaliser and the same gradient of every parameter as the same rows unpacked.
 */
class SftPackingTest {
    @TempDir
    Path dir;

    @Test
    void packedRowsGiveTheLossAndGradientsOfTheRowsUnpacked() throws IOException {
        Path policy = TrainFixture.modelDir(dir, "policy");
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromDirectory(policy);
        try (Gpt2Model model = Gpt2Model.load(policy)) {
            List<SftExample> rows = SftData.load(TrainFixture.dataFile(dir, "sft.jsonl"), tok, 128).rows();
            int longest = rows.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
            var unpacked = new SftTask(model, rows, tok.eosTokenId(), d -> {});
            var packed = SftTask.packed(model, rows, longest + 8, tok.eosTokenId(), d -> {});
            assertTrue(packed.size() < unpacked.size(), packed.size() + " packed rows for " + unpacked.size() + " examples");

            double[] unpackedLoss = new double[1], packedLoss = new double[1];
            Map<String, float[]> want = gradients(model, unpacked, unpackedLoss);
            Map<String, float[]> got = gradients(model, packed, packedLoss);
            assertEquals(unpackedLoss[0], packedLoss[0], 1e-5 * Math.abs(unpackedLoss[0]), "loss");
            for (var e : want.entrySet()) {
                float[] w = e.getValue(), g = got.get(e.getKey());
                double scale = 0;
                for (float v : w) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < w.length; i++) {
                    assertEquals(w[i], g[i], 1e-4 * scale + 1e-7, e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    /** One step over every row of the task in two micro-batches: each parameter's gradient; loss[0] = the step's loss. */
    private static Map<String, float[]> gradients(Gpt2Model model, SftTask task, double[] loss) {
        model.zeroGrad();
        double normaliser = IntStream.range(0, task.size()).mapToDouble(task::normaliserShare).sum();
        int half = (task.size() + 1) / 2;
        for (int[] micro : new int[][] {IntStream.range(0, half).toArray(), IntStream.range(half, task.size()).toArray()}) {
            try (var s = Scope.open()) {
                loss[0] += task.accumulate(micro, normaliser, new StepMetrics()).loss();
            }
        }
        Map<String, float[]> out = new HashMap<>();
        for (Map.Entry<String, Tensor> p : model.namedParameters().entrySet()) out.put(p.getKey(), p.getValue().grad().toFloatArray());
        model.zeroGrad();
        return out;
    }
}
