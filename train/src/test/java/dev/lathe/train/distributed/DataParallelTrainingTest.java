package dev.lathe.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * {@code mpirun -np 2} runs of sft and dpo on the gpt2-tiny fixture log, step for step, the loss and grad_norm of
 * one process whose micro-batch is the two ranks' together (same global batch, same seed): 2 steps of 2 × 2 rows
 * × 2 micro-batches over 6 rows, so the epochs' short last micro-batches are split too. Rank 0 alone writes.
 */
class DataParallelTrainingTest {
    private static final double REL = 1e-5;

    @TempDir
    static Path dir;
    static Path policy;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        TrainFixture.dataFile(dir, "sft.jsonl");
        TrainFixture.dataFile(dir, "prefs.jsonl");
    }

    @Test
    void sftOnTwoRanksStepsAsOneProcessWithTheSameGlobalBatch() throws Exception {
        compare("sft", "sft.jsonl");
    }

    @Test
    void dpoOnTwoRanksStepsAsOneProcessWithTheSameGlobalBatch() throws Exception {
        compare("dpo", "prefs.jsonl");
    }

    private static void compare(String command, String data) throws Exception {
        MpiLaunch.mpirun();
        Path two = dir.resolve(command + "-2ranks"), one = dir.resolve(command + "-1rank");
        MpiLaunch.Result r = MpiLaunch.run(2, argv(command, data, two, 2));
        assertEquals(0, r.code(), r.err());
        TrainFixture.Result s = TrainFixture.run(argv(command, data, one, 1));
        assertEquals(0, s.code(), s.err());

        List<JsonNode> parallel = TrainFixture.metrics(two), single = TrainFixture.metrics(one);
        assertEquals(2, parallel.size(), "rank 0 alone writes one line per step");
        assertEquals(2, r.out().lines().count(), "stdout carries rank 0's metrics only:\n" + r.out());
        for (int i = 0; i < 2; i++) {
            for (String metric : List.of("loss", "grad_norm")) {
                double want = single.get(i).get(metric).asDouble(), got = parallel.get(i).get(metric).asDouble();
                assertTrue(Math.abs(got - want) <= REL * Math.abs(want),
                        command + " step " + (i + 1) + " " + metric + ": 2 ranks " + got + ", 1 process " + want);
            }
            assertEquals(single.get(i).get("num_tokens").asLong(), parallel.get(i).get("num_tokens").asLong());
            assertEquals(single.get(i).get("epoch").asDouble(), parallel.get(i).get("epoch").asDouble());
        }
        assertTrue(Files.isRegularFile(two.resolve("final/model.safetensors")));
        assertTrue(Files.isDirectory(two.resolve("checkpoint-1")));
        assertFalse(r.err().contains("Exception"), r.err());
    }

    /** 2 steps of 2 micro-batches of 4 rows over all ranks, lr high enough to move the second step. */
    private static String[] argv(String command, String data, Path out, int ranks) {
        List<String> a = new ArrayList<>(List.of(command, "--model", policy.toString(), "--data",
                dir.resolve(data).toString(), "--out", out.toString(), "--steps", "2", "--batch-size",
                Integer.toString(4 / ranks), "--grad-accum", "2", "--lr", "1e-3", "--seed", "5", "--save-steps", "1"));
        return a.toArray(String[]::new);
    }
}
