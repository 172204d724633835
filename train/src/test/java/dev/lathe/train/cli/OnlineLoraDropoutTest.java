package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./lathe ppo} and {@code ./lathe grpo} with --lora-rank (the reference is the policy with its adapters
 * switched off) and with --dropout (rollouts in evaluation mode, updates in training mode), on gpt2-tiny.
 */
class OnlineLoraDropoutTest {
    @TempDir
    static Path dir;
    static Path policy;
    static Path rm;
    static Path prompts;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        rm = TrainFixture.modelDir(dir, "rm");
        prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "The capital of France is"}
                {"prompt": [{"role": "user", "content": "Say hi"}]}
                {"prompt": "One two three"}
                """);
    }

    /**
     * Step 1: B = 0, so the policy equals its base and the rollout's KL is 0; after one update of B the policy
     * moves away from the reference, which stays the base.
     */
    @Test
    void ppoWithLoraUsesTheBaseAsReferenceAndSavesAdapters() throws IOException {
        Path run = dir.resolve("ppo-lora");
        TrainFixture.Result r = ppo(run, "--steps", "2", "--lora-rank", "4", "--lr", "1e-2", "--save-steps", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("adapters switched off"), r.err());
        List<JsonNode> metrics = TrainFixture.metrics(run);
        assertEquals(0, metrics.get(0).get("objective/kl").asDouble(), 1e-7, "policy == reference at step 1");
        assertTrue(Math.abs(metrics.get(1).get("objective/kl").asDouble()) > 1e-5, "the adapters did not move: " + metrics.get(1));
        for (Path out : List.of(run.resolve("final"), run.resolve("checkpoint-1"))) {
            assertAdapterFolder(out);
            for (String f : List.of("value_model/config.json", "value_model/model.safetensors")) {
                assertTrue(Files.isRegularFile(out.resolve(f)), out + " lacks " + f);
            }
        }
    }

    @Test
    void grpoWithLoraUsesTheBaseAsReferenceAndSavesAdapters() throws IOException {
        Path run = dir.resolve("grpo-lora");
        TrainFixture.Result r = grpo(run, "--steps", "2", "--lora-rank", "4", "--lr", "1e-2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("adapters switched off"), r.err());
        List<JsonNode> metrics = TrainFixture.metrics(run);
        assertEquals(0, metrics.get(0).get("kl").asDouble(), 1e-7, "policy == reference at step 1");
        assertTrue(metrics.get(1).get("kl").asDouble() > 1e-6, "the adapters did not move: " + metrics.get(1));
        assertAdapterFolder(run.resolve("final"));
    }

    /**
     * The same seed with and without dropout: the rollout (sampling, log-probs, values, scores) is the same in
     * evaluation mode (up to the summation order of threaded kernels), while the update's log-probs, in training mode, differ from the rollout's only with dropout.
     */
    @Test
    void ppoRollsOutInEvaluationModeAndUpdatesInTrainingMode() throws IOException {
        JsonNode plain = TrainFixture.metrics(ppoRun("ppo-plain")).get(0);
        JsonNode dropped = TrainFixture.metrics(ppoRun("ppo-dropout", "--dropout", "0.1")).get(0);
        for (String key : List.of("objective/kl", "objective/entropy", "objective/scores", "val/num_eos_tokens")) {
            assertTrue(TrainFixture.close(plain.get(key).asDouble(), dropped.get(key).asDouble(), 1e-5),
                    key + ": " + plain.get(key) + " without dropout, " + dropped.get(key) + " with");
        }
        assertEquals(1, plain.get("val/ratio").asDouble(), 1e-6);
        assertEquals(0, plain.get("policy/approxkl_avg").asDouble(), 1e-9);
        assertTrue(dropped.get("policy/approxkl_avg").asDouble() > 1e-5, "no dropout in the update: " + dropped);
    }

    @Test
    void grpoRollsOutInEvaluationModeAndUpdatesInTrainingMode() throws IOException {
        JsonNode plain = TrainFixture.metrics(grpoRun("grpo-plain")).get(0);
        JsonNode dropped = TrainFixture.metrics(grpoRun("grpo-dropout", "--dropout", "0.1")).get(0);
        for (String key : List.of("reward", "reward_std", "completion_length")) {
            assertTrue(TrainFixture.close(plain.get(key).asDouble(), dropped.get(key).asDouble(), 1e-5),
                    key + ": " + plain.get(key) + " without dropout, " + dropped.get(key) + " with");
        }
        assertEquals(0, plain.get("kl").asDouble(), 1e-7);
        assertTrue(dropped.get("kl").asDouble() > 1e-5, "the update's policy equals the eval-mode reference: " + dropped);
    }

    @Test
    void dropoutOutOfRangeIsAUsageError() {
        TrainFixture.Result r = grpo(dir.resolve("bad"), "--steps", "1", "--dropout", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--dropout"), r.err());
    }

    private static Path ppoRun(String name, String... extra) {
        Path run = dir.resolve(name);
        TrainFixture.Result r = ppo(run, concat(extra, "--steps", "1"));
        assertEquals(0, r.code(), r.err());
        return run;
    }

    private static Path grpoRun(String name, String... extra) {
        Path run = dir.resolve(name);
        TrainFixture.Result r = grpo(run, concat(extra, "--steps", "1"));
        assertEquals(0, r.code(), r.err());
        return run;
    }

    private static TrainFixture.Result ppo(Path run, String... extra) {
        return TrainFixture.run(concat(extra, "ppo", "--model", policy.toString(), "--reward-model", rm.toString(),
                "--data", prompts.toString(), "--out", run.toString(), "--batch-size", "2", "--num-mini-batches", "1",
                "--num-ppo-epochs", "1", "--response-length", "6"));
    }

    private static TrainFixture.Result grpo(Path run, String... extra) {
        return TrainFixture.run(concat(extra, "grpo", "--model", policy.toString(), "--reward-model", rm.toString(),
                "--data", prompts.toString(), "--out", run.toString(), "--batch-size", "2", "--num-generations", "3",
                "--max-completion-length", "6"));
    }

    /** {@code head} followed by {@code tail}. */
    private static String[] concat(String[] tail, String... head) {
        List<String> all = new ArrayList<>(List.of(head));
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    /** Adapter files and tokenizer, no full model; A and B of c_attn in each of the two blocks. */
    private static void assertAdapterFolder(Path out) throws IOException {
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors", "vocab.json", "merges.txt")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), out + " lacks " + f);
        }
        assertFalse(Files.exists(out.resolve("model.safetensors")), out + " holds a full model");
        try (SafetensorsReader reader = SafetensorsReader.open(out.resolve("adapter_model.safetensors"))) {
            assertEquals(2 * 2, reader.names().size(), reader.names().toString());
            assertTrue(reader.contains("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight"), reader.names().toString());
        }
    }
}
