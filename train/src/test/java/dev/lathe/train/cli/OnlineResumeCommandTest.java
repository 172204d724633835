package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} of ppo and grpo through the real commands on the gpt2-tiny fixture: a run resumed from its
 * checkpoint-2 logs bit-identical metrics for steps 3–4 to the uninterrupted run (which needs the weights of
 * every trained model, the optimizer's moments and the rollout seeds to come back exactly), fresh runs with one
 * seed agree, and damaged checkpoints are refused or skipped.
 */
class OnlineResumeCommandTest {
    /** Four steps of two prompts (two epochs of the four-prompt file), a checkpoint every two. */
    private static final String[] RUN = {"--steps", "4", "--save-steps", "2", "--batch-size", "2", "--lr", "1e-3",
            "--warmup-steps", "1", "--weight-decay", "0.01", "--seed", "7"};
    private static final String[] PPO = {"--num-mini-batches", "2", "--num-ppo-epochs", "2", "--response-length", "6",
            "--missing-eos-penalty", "1"};
    private static final String[] GRPO = {"--reward-fn", "regex:[aeiou]", "--num-generations", "3",
            "--max-completion-length", "6", "--beta", "0.1"};

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
                {"prompt": "Once upon a time"}
                """);
    }

    /** The command line of {@code command} writing into {@code dir/out}, with the shared run flags and {@code extra}. */
    private static String[] argv(String command, String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of(command, "--model", policy.toString(), "--data", prompts.toString(),
                "--out", dir.resolve(out).toString()));
        if (command.equals("ppo")) argv.addAll(List.of("--reward-model", rm.toString()));
        argv.addAll(List.of(RUN));
        argv.addAll(List.of(command.equals("ppo") ? PPO : GRPO));
        argv.addAll(List.of(extra));
        return argv.toArray(String[]::new);
    }

    private static TrainFixture.Result run(String command, String out, String... extra) {
        TrainFixture.Result r = TrainFixture.run(argv(command, out, extra));
        assertEquals(0, r.code(), r.err());
        return r;
    }

    /** The run's metrics lines without tokens_per_second (a timing), as text. */
    private static List<String> metrics(String out) throws IOException {
        return TrainFixture.metrics(dir.resolve(out)).stream().map(m -> {
            ((ObjectNode) m).remove("tokens_per_second");
            return m.toString();
        }).toList();
    }

    /**
     * Runs {@code command} fresh twice and resumed from the first run's checkpoint-2; returns the checkpoint. The
     * runs' metrics must be identical where they overlap.
     */
    private static Path assertResumesExactly(String command, String name, String... extra) throws IOException {
        run(command, name, extra);
        run(command, name + "-again", extra);
        List<String> full = metrics(name);
        assertEquals(4, full.size());
        assertEquals(full, metrics(name + "-again"), "two fresh runs with one seed");

        Path checkpoint = dir.resolve(name).resolve("checkpoint-2");
        JsonNode state = TrainFixture.JSON.readTree(checkpoint.resolve("trainer_state.json").toFile());
        assertEquals(2, state.get("global_step").asInt());
        assertEquals(2, state.get("sampler").get("batches_served").asInt());
        assertEquals(2, state.get("optimizer").get("step_count").asInt() / updatesPerStep(command));
        JsonNode step2 = TrainFixture.metrics(dir.resolve(name)).get(1);
        assertEquals(step2.get("episode").asLong(), state.get("episode").asLong());
        assertEquals(step2.get("num_tokens").asLong(), state.get("num_tokens").asLong());

        TrainFixture.Result r = run(command, name + "-resumed", join(extra, "--resume", checkpoint.toString()));
        assertTrue(r.err().contains("resumed from " + checkpoint + " at step 2"), r.err());
        assertEquals(full.subList(2, 4), metrics(name + "-resumed"), "steps 3-4 after resuming at 2");
        assertEquals(2, r.out().strip().lines().count(), "stdout has the resumed steps");
        return checkpoint;
    }

    @Test
    void ppoResumesExactly() throws IOException {
        Path checkpoint = assertResumesExactly("ppo", "ppo");
        for (String file : List.of("model.safetensors", "config.json", "value_model/model.safetensors",
                "value_model/config.json", "optimizer.safetensors", "trainer_state.json", "checksums.json")) {
            assertTrue(Files.isRegularFile(checkpoint.resolve(file)), file);
        }
        JsonNode sums = TrainFixture.JSON.readTree(checkpoint.resolve("checksums.json").toFile()).get("files");
        assertTrue(sums.has("value_model/model.safetensors"), sums.toString());
        assertMomentsCover(checkpoint, "policy.transformer.h.0.attn.c_attn.weight", "value_model.score.weight");
    }

    @Test
    void grpoResumesExactly() throws IOException {
        Path checkpoint = assertResumesExactly("grpo", "grpo");
        assertMomentsCover(checkpoint, "transformer.h.0.attn.c_attn.weight", "transformer.wte.weight");
    }

    @Test
    void ppoWithLoraResumesExactlyFromAdaptersAndTheValueModel() throws IOException {
        Path checkpoint = assertResumesExactly("ppo", "ppo-lora", "--lora-rank", "2");
        assertTrue(Files.isRegularFile(checkpoint.resolve("adapter_model.safetensors")));
        assertFalse(Files.exists(checkpoint.resolve("model.safetensors")), "LoRA checkpoints hold only the adapters");
        assertTrue(Files.isRegularFile(checkpoint.resolve("value_model/model.safetensors")));
        try (SafetensorsReader moments = SafetensorsReader.open(checkpoint.resolve("optimizer.safetensors"))) {
            for (String key : moments.names()) {
                assertTrue(key.contains("lora_") || key.startsWith("value_model."), "moments of a frozen weight: " + key);
            }
            assertTrue(moments.contains("policy.transformer.h.0.attn.c_attn.lora_A.weight.exp_avg"), moments.names().toString());
        }
    }

    @Test
    void aDamagedCheckpointIsRefusedAndSkippedWhenResumingTheRunFolder() throws IOException {
        run("ppo", "damaged");
        List<String> whole = metrics("damaged");
        Path run = dir.resolve("damaged");
        flipAByte(run.resolve("checkpoint-4/value_model/model.safetensors"));

        TrainFixture.Result refused = TrainFixture.run(argv("ppo", "damaged", "--resume", run.resolve("checkpoint-4").toString()));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("checkpoint-4/value_model/model.safetensors does not match its SHA-256"), refused.err());

        TrainFixture.Result r = run("ppo", "damaged", "--resume", run.toString());
        assertTrue(r.err().contains("skipping " + run.resolve("checkpoint-4")), r.err());
        assertTrue(r.err().contains("resumed from " + run.resolve("checkpoint-2") + " at step 2"), r.err());
        assertEquals(whole, metrics("damaged"), "metrics.jsonl: steps 1-2 kept, 3-4 written again");
    }

    @Test
    void aResumeThatCannotContinueIsAUsageError() throws IOException {
        run("grpo", "base");
        Path checkpoint = dir.resolve("base/checkpoint-2");
        String[][] cases = {
            {"--resume", checkpoint.toString(), "--batch-size", "1"},
            {"--resume", checkpoint.toString(), "--seed", "8"},
            {"--resume", dir.resolve("nowhere").toString()},
        };
        for (String[] extra : cases) {
            TrainFixture.Result r = TrainFixture.run(argv("grpo", "bad", extra));
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r.err());
            assertTrue(r.err().contains("cannot resume") || r.err().contains("not a directory"), r.err());
        }
        Path fewer = dir.resolve("three-prompts.jsonl");
        Files.write(fewer, Files.readAllLines(prompts).subList(0, 3));
        List<String> argv = new ArrayList<>(List.of(argv("grpo", "bad", "--resume", checkpoint.toString())));
        argv.set(argv.indexOf(prompts.toString()), fewer.toString());
        TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("the data has 3 training rows, the checkpoint's run 4"), r.err());
    }

    /** optimizer.safetensors has both moments of each named parameter. */
    private static void assertMomentsCover(Path checkpoint, String... parameters) throws IOException {
        try (SafetensorsReader moments = SafetensorsReader.open(checkpoint.resolve("optimizer.safetensors"))) {
            Set<String> names = Set.copyOf(moments.names());
            for (String p : parameters) {
                assertTrue(names.contains(p + ".exp_avg") && names.contains(p + ".exp_avg_sq"), p + ": " + names);
            }
        }
    }

    /** AdamW updates in one step: PPO's epochs × mini-batches, GRPO's one. */
    private static int updatesPerStep(String command) {
        return command.equals("ppo") ? 2 * 2 : 1;
    }

    private static String[] join(String[] a, String... b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }

    private static void flipAByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 5] ^= 0x40;
        Files.write(file, bytes);
    }
}
