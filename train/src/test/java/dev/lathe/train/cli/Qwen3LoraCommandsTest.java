package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.RewardModel;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.llama.LlamaRewardModel;
import dev.lathe.models.lora.LoraModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainers with --lora-rank on the qwen3-tiny fixture: the default targets are the model's own (q_proj,
 * v_proj), and merge folds causal-LM and reward adapters into Qwen3 folders that score as the adapted models do.
 */
class Qwen3LoraCommandsTest {
    private static final String[] TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json"};

    @TempDir
    static Path dir;
    static Path policy;
    static Path sft;
    static Path prefs;
    private static Path mergedRewardModel;

    @BeforeAll
    static void modelDir() throws IOException {
        policy = Qwen3TrainFixture.modelDir(dir, "policy");
        sft = Qwen3TrainFixture.dataFile("sft.jsonl");
        prefs = Qwen3TrainFixture.dataFile("prefs.jsonl");
    }

    @Test
    void sftAdapterMergesIntoAQwen3ThatScoresLikeTheAdaptedModel() throws IOException {
        Path run = dir.resolve("sft-lora");
        TrainFixture.Result r = TrainFixture.run("sft", "--model", policy.toString(), "--data", sft.toString(),
                "--out", run.toString(), "--lora-rank", "4", "--lr", "5e-2", "--steps", "2", "--batch-size", "5");
        assertEquals(0, r.code(), r.err());
        Path adapter = run.resolve("final");
        assertAdapterFolder(adapter, 2 * 2 * 2); // A and B × q_proj, v_proj × 2 layers
        JsonNode config = TrainFixture.JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        assertEquals("[\"q_proj\",\"v_proj\"]", config.get("target_modules").toString());
        assertFalse(config.get("fan_in_fan_out").asBoolean(), "Linear weights are [out, in]");
        try (SafetensorsReader reader = SafetensorsReader.open(adapter.resolve(LoraModel.WEIGHTS))) {
            assertTrue(reader.contains("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"), reader.names().toString());
        }

        Path merged = dir.resolve("sft-merged");
        TrainFixture.Result m = TrainFixture.run("merge", "--model", policy.toString(), "--adapter", adapter.toString(),
                "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        assertEquals("CAUSAL_LM", TrainFixture.JSON.readTree(m.out()).get("task_type").asText());
        for (String f : List.of("config.json", "model.safetensors")) assertTrue(Files.isRegularFile(merged.resolve(f)), f);
        assertHasTokenizerFiles(merged);
        assertTrue(Files.readString(merged.resolve("config.json")).contains("Qwen3ForCausalLM"));

        List<Double> adapted = logps("--model", policy.toString(), "--adapter", adapter.toString());
        List<Double> mergedScores = logps("--model", merged.toString());
        List<Double> base = logps("--model", policy.toString());
        double moved = 0;
        for (int i = 0; i < adapted.size(); i++) {
            double a = adapted.get(i), b = mergedScores.get(i);
            assertTrue(TrainFixture.close(a, b, 1e-4), "row " + i + ": adapter " + a + ", merged " + b);
            moved = Math.max(moved, Math.abs(a - base.get(i)));
        }
        assertTrue(moved > 1e-2, "training the adapter did not change the scores");

        TrainFixture.Result g = TrainFixture.run("generate", "--model", policy.toString(), "--adapter", adapter.toString(),
                "--prompt", "Q0: thanks order?\n", "--max-new-tokens", "4");
        TrainFixture.Result gm = TrainFixture.run("generate", "--model", merged.toString(), "--prompt",
                "Q0: thanks order?\n", "--max-new-tokens", "4");
        assertEquals(0, g.code(), g.err());
        assertEquals(0, gm.code(), gm.err());
        assertEquals(TrainFixture.JSON.readTree(gm.out()).get("completion_ids"), TrainFixture.JSON.readTree(g.out()).get("completion_ids"));
    }

    /** Step 1: B = 0, so the policy is its base, the reference, and the sigmoid loss is ln 2 with zero rewards. */
    @Test
    void dpoUsesTheBaseWithAdaptersOffAsTheReference() throws IOException {
        Path run = dir.resolve("dpo-lora");
        TrainFixture.Result r = TrainFixture.run("dpo", "--model", policy.toString(), "--data", prefs.toString(),
                "--out", run.toString(), "--lora-rank", "4", "--lr", "5e-2", "--steps", "2", "--batch-size", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("adapters switched off"), r.err());
        List<JsonNode> lines = TrainFixture.metrics(run);
        assertEquals(Math.log(2), lines.get(0).get("loss").asDouble(), 1e-6);
        assertEquals(0, lines.get(0).get("rewards/margins").asDouble(), 1e-6);
        assertTrue(Math.abs(lines.get(1).get("rewards/margins").asDouble()) > 1e-4, "the adapters did not move: " + lines.get(1));
        assertAdapterFolder(run.resolve("final"), 2 * 2 * 2);
    }

    /** A reward adapter (and its fully trained score head) merged into the base: a Qwen3 classifier that scores alike. */
    @Test
    void rewardAdapterMergesIntoAQwen3Classifier() throws IOException {
        Path merged = mergedRewardModel();
        assertHasTokenizerFiles(merged);
        assertTrue(Files.readString(merged.resolve("config.json")).contains("Qwen3ForSequenceClassification"));
        Path adapter = dir.resolve("rm-lora/final");
        int[] ids = {1, 7, 42, 9, 3, 151645};
        try (RewardModel m = ModelFamilies.loadRewardModel(merged);
             LlamaRewardModel a = LlamaRewardModel.fromCausalLm(policy, 1, new Random(5));
             var s = Scope.open(); var noGrad = GradMode.off()) {
            assertInstanceOf(LlamaRewardModel.class, m);
            LoraModel.load(a, adapter); // the adapter's score head replaces the random one
            a.eval();
            Tensor batch = Tensor.ofInts(ids, 1, ids.length), positions = Tensor.ofInts(new int[] {0, 1, 2, 3, 4, 5}, 1, 6);
            float[] want = a.scores(batch, positions, null, new int[] {5}).toFloatArray();
            float[] got = m.scores(batch, positions, null, new int[] {5}).toFloatArray();
            assertArrayEquals(want, got, 1e-4f * Math.max(1, Math.abs(want[0])));
        }
    }

    @Test
    void ppoAndGrpoTrainAdaptersOnQwen3() throws IOException {
        for (String command : List.of("ppo", "grpo")) {
            Path out = dir.resolve(command + "-lora");
            List<String> argv = new ArrayList<>(List.of(command, "--model", policy.toString(), "--reward-model",
                    mergedRewardModel().toString(), "--data", sft.toString(), "--out", out.toString(), "--batch-size",
                    "2", "--steps", "2", "--lr", "1e-3", "--lora-rank", "4"));
            argv.addAll(command.equals("ppo") ? List.of("--response-length", "4", "--num-ppo-epochs", "1")
                    : List.of("--num-generations", "2", "--max-completion-length", "4"));
            TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
            assertEquals(0, r.code(), command + ": " + r.err());
            assertTrue(r.err().contains("q_proj,v_proj"), r.err());
            List<JsonNode> lines = TrainFixture.metrics(out);
            assertEquals(2, lines.size());
            for (JsonNode m : lines) assertTrue(Double.isFinite(m.get("loss").asDouble()), m.toString());
            assertAdapterFolder(out.resolve("final"), 2 * 2 * 2);
        }
    }

    /** reward --lora-rank 4 from the causal LM, then merge: a Qwen3ForSequenceClassification folder. */
    private static synchronized Path mergedRewardModel() throws IOException {
        if (mergedRewardModel != null) return mergedRewardModel;
        Path run = dir.resolve("rm-lora");
        TrainFixture.Result r = TrainFixture.run("reward", "--model", policy.toString(), "--data", prefs.toString(),
                "--out", run.toString(), "--lora-rank", "4", "--lr", "1e-2", "--steps", "2", "--batch-size", "5");
        assertEquals(0, r.code(), r.err());
        JsonNode config = TrainFixture.JSON.readTree(run.resolve("final/adapter_config.json").toFile());
        assertEquals("SEQ_CLS", config.get("task_type").asText());
        Path merged = dir.resolve("rm-merged");
        TrainFixture.Result m = TrainFixture.run("merge", "--model", policy.toString(), "--adapter",
                run.resolve("final").toString(), "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        mergedRewardModel = merged;
        return merged;
    }

    /** PEFT's two files with {@code tensors} tensors, the tokenizer files, and no full model. */
    private static void assertAdapterFolder(Path folder, int tensors) throws IOException {
        assertTrue(Files.isRegularFile(folder.resolve("adapter_config.json")), folder + " lacks adapter_config.json");
        assertHasTokenizerFiles(folder);
        assertFalse(Files.exists(folder.resolve("model.safetensors")), folder + " holds a full model");
        try (SafetensorsReader reader = SafetensorsReader.open(folder.resolve(LoraModel.WEIGHTS))) {
            assertEquals(tensors, reader.names().size(), reader.names().toString());
        }
    }

    private static void assertHasTokenizerFiles(Path folder) {
        for (String name : TOKENIZER_FILES) assertTrue(Files.isRegularFile(folder.resolve(name)), folder + " lacks " + name);
    }

    /** {@code score --data sft.jsonl} with the given model flags: each row's logps. */
    private static List<Double> logps(String... model) throws IOException {
        List<String> argv = new ArrayList<>(List.of("score"));
        argv.addAll(List.of(model));
        argv.addAll(List.of("--data", sft.toString()));
        TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<Double> out = new ArrayList<>();
        for (String line : r.out().split("\n")) if (!line.isBlank()) out.add(TrainFixture.JSON.readTree(line).get("logps").asDouble());
        return out;
    }
}
