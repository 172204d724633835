package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Tensor;
import dev.lathe.models.CausalLm;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.RewardModel;
import dev.lathe.models.llama.LlamaModel;
import dev.lathe.models.llama.LlamaRewardModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainers on a Llama-family model: one SFT and one DPO step on the qwen3-tiny fixture (BF16 policy, F16
 * reference, Qwen3's tokenizer with eos {@code <|im_end|>}) against PyTorch's float64 values, and short runs of
 * reward, ppo and grpo that write loadable Qwen3 folders with their tokenizer files.
 */
class Qwen3CommandsTest {
    private static final String[] TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json"};

    @TempDir
    static Path dir;
    static Path policy;
    static Path ref;
    static JsonNode expected;
    private static Path rewardModel;

    @BeforeAll
    static void modelDirs() throws IOException {
        policy = Qwen3TrainFixture.modelDir(dir, "policy");
        ref = Qwen3TrainFixture.modelDir(dir, "ref");
        expected = Qwen3TrainFixture.expected();
    }

    private static void assertClose(double want, double got, double rel, String what) {
        assertTrue(TrainFixture.close(want, got, rel), what + ": got " + got + ", want " + want);
    }

    private static JsonNode oneStep(String command, String data, String out, String... flags) throws IOException {
        List<String> argv = new ArrayList<>(List.of(command, "--model", policy.toString(), "--data",
                Qwen3TrainFixture.dataFile(data).toString(), "--out", dir.resolve(out).toString(), "--steps", "1",
                "--lr", "0"));
        argv.addAll(List.of(flags));
        TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = TrainFixture.metrics(dir.resolve(out));
        assertEquals(1, lines.size());
        return lines.get(0);
    }

    private static void assertHasTokenizerFiles(Path folder) {
        for (String name : TOKENIZER_FILES) assertTrue(Files.isRegularFile(folder.resolve(name)), folder + " lacks " + name);
    }

    @Test
    void oneSftStepMatchesPyTorchForEveryMicroBatchSplit() throws IOException {
        JsonNode want = expected.get("sft");
        String[][] splits = {{"5", "1"}, {"1", "5"}};
        for (String[] split : splits) {
            String what = split[0] + " x " + split[1];
            JsonNode m = oneStep("sft", "sft.jsonl", "sft-" + split[0], "--batch-size", split[0], "--grad-accum", split[1]);
            assertClose(want.get("loss").asDouble(), m.get("loss").asDouble(), 1e-4, what + " loss");
            assertClose(want.get("grad_norm").asDouble(), m.get("grad_norm").asDouble(), 1e-3, what + " grad_norm");
        }
        // lr 0 leaves the weights as loaded; the saved folder reloads as the same Qwen3 and keeps its tokenizer
        Path saved = dir.resolve("sft-5/final");
        assertHasTokenizerFiles(saved);
        try (CausalLm start = ModelFamilies.loadCausalLm(policy); CausalLm trained = ModelFamilies.loadCausalLm(saved)) {
            assertInstanceOf(LlamaModel.class, trained);
            Map<String, Tensor> before = start.namedParameters(), after = trained.namedParameters();
            assertEquals(before.keySet(), after.keySet());
            for (String name : before.keySet()) {
                assertArrayEquals(before.get(name).toFloatArray(), after.get(name).toFloatArray(), name);
            }
        }
    }

    @Test
    void oneDpoStepAgainstTheF16ReferenceMatchesPyTorch() throws IOException {
        JsonNode want = expected.get("dpo_sigmoid");
        JsonNode m = oneStep("dpo", "prefs.jsonl", "dpo", "--batch-size", "5", "--ref-model", ref.toString(),
                "--beta", "0.1");
        for (String key : new String[] {"loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "logps/rejected"}) {
            assertClose(want.get(key).asDouble(), m.get(key).asDouble(), 1e-4, key);
        }
        assertClose(want.get("grad_norm").asDouble(), m.get("grad_norm").asDouble(), 1e-3, "grad_norm");
        assertHasTokenizerFiles(dir.resolve("dpo/final"));
    }

    /** Two steps of ./lathe reward from the causal LM (a new score head): a Qwen3ForSequenceClassification folder. */
    private static synchronized Path rewardModel() throws IOException {
        if (rewardModel != null) return rewardModel;
        Path out = dir.resolve("reward");
        TrainFixture.Result r = TrainFixture.run("reward", "--model", policy.toString(), "--data",
                Qwen3TrainFixture.dataFile("prefs.jsonl").toString(), "--out", out.toString(), "--batch-size", "5",
                "--steps", "2", "--lr", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("adding a new score head"), r.err());
        List<JsonNode> lines = TrainFixture.metrics(out);
        assertEquals(2, lines.size());
        for (JsonNode m : lines) assertTrue(Double.isFinite(m.get("loss").asDouble()) && m.get("grad_norm").asDouble() > 0, m.toString());
        rewardModel = out.resolve("final");
        return rewardModel;
    }

    @Test
    void rewardTrainsANewScoreHeadAndSavesAQwen3Classifier() throws IOException {
        Path saved = rewardModel();
        assertHasTokenizerFiles(saved);
        assertTrue(Files.readString(saved.resolve("config.json")).contains("Qwen3ForSequenceClassification"));
        try (RewardModel rm = ModelFamilies.loadRewardModel(saved)) {
            assertInstanceOf(LlamaRewardModel.class, rm);
            assertEquals(1, rm.numLabels());
        }
    }

    @Test
    void ppoRunsOnQwen3WithAQwen3RewardAndValueModel() throws IOException {
        Path out = dir.resolve("ppo");
        TrainFixture.Result r = TrainFixture.run("ppo", "--model", policy.toString(), "--reward-model",
                rewardModel().toString(), "--data", Qwen3TrainFixture.dataFile("sft.jsonl").toString(), "--out",
                out.toString(), "--batch-size", "2", "--steps", "2", "--response-length", "4", "--num-ppo-epochs", "1",
                "--lr", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertRan(out);
        assertHasTokenizerFiles(out.resolve("final/value_model"));
        try (CausalLm m = ModelFamilies.loadCausalLm(out.resolve("final"));
             RewardModel value = ModelFamilies.loadRewardModel(out.resolve("final/value_model"))) {
            assertInstanceOf(LlamaModel.class, m);
            assertEquals(1, value.numLabels());
        }
    }

    @Test
    void grpoRunsOnQwen3WithAQwen3RewardModel() throws IOException {
        Path out = dir.resolve("grpo");
        TrainFixture.Result r = TrainFixture.run("grpo", "--model", policy.toString(), "--reward-model",
                rewardModel().toString(), "--data", Qwen3TrainFixture.dataFile("sft.jsonl").toString(), "--out",
                out.toString(), "--batch-size", "2", "--num-generations", "2", "--steps", "2",
                "--max-completion-length", "4", "--lr", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertRan(out);
    }

    /** Two finite metrics lines and a final policy folder with the tokenizer files. */
    private static void assertRan(Path out) throws IOException {
        List<JsonNode> lines = TrainFixture.metrics(out);
        assertEquals(2, lines.size());
        for (JsonNode m : lines) assertTrue(Double.isFinite(m.get("loss").asDouble()), m.toString());
        assertTrue(Files.isRegularFile(out.resolve("final/model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("final/config.json")));
        assertHasTokenizerFiles(out.resolve("final"));
    }

    /** Packed rows (positions restarting per row, attention within each) give the unpacked step's loss and norm. */
    @Test
    void packingKeepsTheLossAndGradientOfTheStep() throws IOException {
        JsonNode want = expected.get("sft");
        JsonNode m = oneStep("sft", "sft.jsonl", "packed", "--batch-size", "5", "--packing", "--max-length", "64");
        assertClose(want.get("loss").asDouble(), m.get("loss").asDouble(), 1e-4, "packed loss");
        assertClose(want.get("grad_norm").asDouble(), m.get("grad_norm").asDouble(), 1e-3, "packed grad_norm");
    }

    /** --dropout 0 is the fixture's step; 0.1 drops attention probabilities and so moves the loss. */
    @Test
    void dropoutDropsAttentionProbabilitiesOnlyWhenGiven() throws IOException {
        double want = expected.get("sft").get("loss").asDouble();
        JsonNode off = oneStep("sft", "sft.jsonl", "dropout-0", "--batch-size", "5", "--dropout", "0");
        assertClose(want, off.get("loss").asDouble(), 1e-4, "--dropout 0 loss");
        JsonNode on = oneStep("sft", "sft.jsonl", "dropout-0.1", "--batch-size", "5", "--dropout", "0.1");
        double loss = on.get("loss").asDouble();
        assertTrue(Double.isFinite(loss) && Math.abs(loss - want) > 1e-3 * want, "--dropout 0.1 loss " + loss + " vs " + want);
    }
}
