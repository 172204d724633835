package dev.lathe.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.train.cli.TrainFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mpirun -np 2} runs of ppo and grpo on the gpt2-tiny fixture: each rank rolls out its prompt of a global
 * batch of two, the averaged gradients keep both ranks' weights bit-identical (the trainer checks and says so),
 * the step's completions are counted over both ranks, rank 0 alone writes, and a run resumed from checkpoint-1
 * logs the uninterrupted run's step 2 exactly.
 */
class DataParallelOnlineTest {
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
                {"prompt": "Say hi"}
                {"prompt": "One two three"}
                {"prompt": "Once upon a time"}
                """);
    }

    @Test
    void ppoOnTwoRanks() throws Exception {
        check("ppo", 1, "--reward-model", rm.toString(), "--num-mini-batches", "1", "--num-ppo-epochs", "2",
                "--response-length", "5");
    }

    @Test
    void grpoOnTwoRanks() throws Exception {
        check("grpo", 3, "--reward-model", rm.toString(), "--num-generations", "3", "--max-completion-length", "5",
                "--beta", "0.1");
    }

    private static void check(String command, int completionsPerPrompt, String... extra) throws Exception {
        MpiLaunch.mpirun();
        Path out = dir.resolve(command);
        MpiLaunch.Result r = MpiLaunch.run(2, argv(command, out, extra));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("distributed: trained parameters identical on 2 ranks"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        List<JsonNode> metrics = TrainFixture.metrics(out);
        assertEquals(2, metrics.size(), "rank 0 alone writes one line per step");
        assertEquals(2, r.out().strip().lines().count(), "stdout carries rank 0's metrics only:\n" + r.out());
        for (int step = 1; step <= 2; step++) {
            assertEquals(2L * completionsPerPrompt * step, metrics.get(step - 1).get("episode").asLong(),
                    "completions of both ranks by step " + step);
        }
        assertTrue(Files.isRegularFile(out.resolve("final/model.safetensors")));
        assertTrue(Files.isDirectory(out.resolve("checkpoint-1")));

        Path resumed = dir.resolve(command + "-resumed");
        List<String> resumeArgs = new ArrayList<>(List.of(argv(command, resumed, extra)));
        resumeArgs.addAll(List.of("--resume", out.resolve("checkpoint-1").toString()));
        MpiLaunch.Result again = MpiLaunch.run(2, resumeArgs.toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        List<JsonNode> after = TrainFixture.metrics(resumed);
        assertEquals(1, after.size());
        assertEquals(withoutTiming(metrics.get(1)), withoutTiming(after.get(0)), "step 2 after resuming at 1");
    }

    private static String withoutTiming(JsonNode m) {
        ((ObjectNode) m).remove("tokens_per_second");
        return m.toString();
    }

    /** 2 steps of one prompt per rank, a checkpoint each step. */
    private static String[] argv(String command, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(command, "--model", policy.toString(), "--data", prompts.toString(),
                "--out", out.toString(), "--steps", "2", "--batch-size", "1", "--lr", "1e-3", "--seed", "5",
                "--save-steps", "1"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }
}
