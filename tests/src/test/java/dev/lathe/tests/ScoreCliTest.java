package dev.lathe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lathe score} on the gpt2-tiny BF16 policy against PyTorch's float64 log-probs of sft.jsonl. */
class ScoreCliTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        model = Cli.gpt2TinyPolicy(dir.resolve("policy"));
        data = Cli.copyResources("gpt2-tiny", dir, "sft.jsonl").resolve("sft.jsonl");
    }

    /** The fixtures' tolerance: |got − want| ≤ 1e-4 · max(|want|, 0.1). */
    private static void assertWithinTolerance(double want, double got, String what) {
        assertTrue(Math.abs(got - want) <= 1e-4 * Math.max(Math.abs(want), 0.1), what + ": got " + got + ", want " + want);
    }

    @Test
    void logProbsMatchTheReferenceWhateverTheBatchSize() throws IOException {
        JsonNode expected = Cli.resourceJson("/gpt2-tiny/expected-score.json").get("score");
        for (String batch : new String[] {"1", "4", "8"}) {
            Cli.Result r = Cli.run("score", "--model", model.toString(), "--data", data.toString(), "--batch-size", batch);
            assertEquals(0, r.code(), r.err());
            List<JsonNode> rows = r.jsonLines();
            assertEquals(expected.size(), rows.size());
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(expected.get(i).get("num_tokens").asInt(), rows.get(i).get("num_tokens").asInt(), "row " + i);
                assertWithinTolerance(expected.get(i).get("logps").asDouble(), rows.get(i).get("logps").asDouble(),
                        "batch " + batch + " row " + i);
            }
        }
    }

    @Test
    void badRowsNameTheFileLineAndField() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"a\"}\n");
        Cli.Result r = Cli.run("score", "--model", model.toString(), "--data", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl line 2") && r.err().contains("\"completion\""), r.err());
        Cli.Result missing = Cli.run("score", "--model", dir.resolve("nope").toString(), "--data", data.toString());
        assertEquals(2, missing.code());
        assertEquals("", missing.out());
    }
}
