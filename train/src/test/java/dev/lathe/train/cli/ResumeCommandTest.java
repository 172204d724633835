package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume} through the real commands: a run resumed from its checkpoint-3 logs bit-identical metrics
 * for steps 4–6 to the uninterrupted run, fresh runs with one seed agree, and broken checkpoints are refused or
 * skipped.
 */
class ResumeCommandTest {
    /** Six steps of two rows (two epochs of the six-row files), a checkpoint every three. */
    private static final String[] RUN = {"--steps", "6", "--save-steps", "3", "--batch-size", "2", "--lr", "1e-3",
            "--warmup-steps", "1", "--weight-decay", "0.01", "--seed", "5"};

    @TempDir
    static Path dir;
    static Path policy;
    static Path rm;
    static Path sftData;
    static Path prefs;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        rm = TrainFixture.modelDir(dir, "rm");
        sftData = TrainFixture.dataFile(dir, "sft.jsonl");
        prefs = TrainFixture.dataFile(dir, "prefs.jsonl");
    }

    private static TrainFixture.Result run(String command, Path model, Path data, String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of(command, "--model", model.toString(), "--data", data.toString(),
                "--out", dir.resolve(out).toString()));
        argv.addAll(List.of(RUN));
        argv.addAll(List.of(extra));
        TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
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

    private void assertResumesExactly(String command, Path model, Path data, String name, String... extra)
            throws IOException {
        run(command, model, data, name, extra);
        run(command, model, data, name + "-again", extra);
        List<String> full = metrics(name);
        assertEquals(6, full.size());
        assertEquals(full, metrics(name + "-again"), "two fresh runs with one seed");

        Path checkpoint = dir.resolve(name).resolve("checkpoint-3");
        for (String file : new String[] {"model.safetensors", "config.json", "optimizer.safetensors",
                "trainer_state.json", "checksums.json"}) {
            assertTrue(Files.isRegularFile(checkpoint.resolve(file)), file);
        }
        JsonNode state = TrainFixture.JSON.readTree(checkpoint.resolve("trainer_state.json").toFile());
        assertEquals(3, state.get("global_step").asInt());
        assertEquals(3, state.get("optimizer").get("step_count").asInt());
        assertEquals(3, state.get("sampler").get("batches_served").asInt());

        List<String> resume = new ArrayList<>(List.of(extra));
        resume.addAll(List.of("--resume", checkpoint.toString()));
        TrainFixture.Result r = run(command, model, data, name + "-resumed", resume.toArray(String[]::new));
        assertTrue(r.err().contains("resumed from " + checkpoint + " at step 3"), r.err());
        assertEquals(full.subList(3, 6), metrics(name + "-resumed"), "steps 4-6 after resuming at 3");
        assertEquals(r.out().strip().lines().count(), 3, "stdout has the resumed steps");
    }

    @Test
    void sftResumesExactly() throws IOException {
        assertResumesExactly("sft", policy, sftData, "sft");
    }

    /** Dropout masks are keyed by the optimizer step, so a resumed run draws the masks the whole run drew. */
    @Test
    void sftWithDropoutResumesExactly() throws IOException {
        assertResumesExactly("sft", policy, sftData, "sft-dropout", "--dropout", "0.2");
    }

    @Test
    void dpoResumesExactly() throws IOException {
        assertResumesExactly("dpo", policy, prefs, "dpo");
    }

    @Test
    void rewardResumesExactly() throws IOException {
        assertResumesExactly("reward", rm, prefs, "reward");
    }

    @Test
    void aCrashedLaterCheckpointIsSkippedWhenResumingARunFolder() throws IOException {
        run("sft", policy, sftData, "whole");
        run("sft", policy, sftData, "crashed");
        Path crashed = dir.resolve("crashed");
        // A crash while checkpoint-9 was being written, and a checkpoint-6 whose weights were damaged on disk.
        Files.createDirectories(crashed.resolve("checkpoint-9.tmp"));
        Files.writeString(crashed.resolve("checkpoint-9.tmp/model.safetensors"), "half");
        flipAByte(crashed.resolve("checkpoint-6/model.safetensors"));
        // The log went on past the checkpoint, with a torn last line.
        Files.writeString(crashed.resolve("metrics.jsonl"), "{\"step\": 7, \"lo", StandardOpenOption.APPEND);

        TrainFixture.Result refused = TrainFixture.run("sft", "--model", policy.toString(), "--data", sftData.toString(),
                "--out", crashed.toString(), "--steps", "6", "--resume", crashed.resolve("checkpoint-6").toString());
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("checkpoint-6/model.safetensors does not match its SHA-256"), refused.err());

        TrainFixture.Result r = run("sft", policy, sftData, "crashed", "--resume", crashed.toString());
        assertTrue(r.err().contains("skipping " + crashed.resolve("checkpoint-6")), r.err());
        assertTrue(r.err().contains("resumed from " + crashed.resolve("checkpoint-3") + " at step 3"), r.err());
        assertEquals(metrics("whole"), metrics("crashed"), "metrics.jsonl: steps 1-3 kept, 4-6 written again");
        assertTrue(Files.isRegularFile(crashed.resolve("checkpoint-6/checksums.json")), "checkpoint-6 rewritten");
    }

    @Test
    void aResumeThatCannotContinueIsAUsageError() throws IOException {
        run("sft", policy, sftData, "base");
        Path checkpoint = dir.resolve("base/checkpoint-3");
        String[][] cases = {
            {"--resume", checkpoint.toString(), "--batch-size", "3"},
            {"--resume", dir.resolve("nowhere").toString()},
            {"--resume", dir.resolve("sft.jsonl").toString()},
        };
        for (String[] extra : cases) {
            List<String> argv = new ArrayList<>(List.of("sft", "--model", policy.toString(), "--data",
                    sftData.toString(), "--out", dir.resolve("bad").toString(), "--steps", "6"));
            argv.addAll(List.of(extra));
            TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r.err());
        }
        Files.delete(checkpoint.resolve("checksums.json"));
        TrainFixture.Result r = TrainFixture.run("sft", "--model", policy.toString(), "--data", sftData.toString(),
                "--out", dir.resolve("bad").toString(), "--resume", checkpoint.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("checksums.json is missing"), r.err());
    }

    private static void flipAByte(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 5] ^= 0x40;
        Files.write(file, bytes);
    }
}
