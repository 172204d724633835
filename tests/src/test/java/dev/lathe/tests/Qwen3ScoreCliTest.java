package dev.lathe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./lathe score} on the qwen3-tiny BF16 policy (a Llama-family model with Qwen3's tokenizer, eos
 * {@code <|im_end|>}) against PyTorch's float64 log-probs of sft.jsonl; the fixture is the models module's.
 */
class Qwen3ScoreCliTest {
    @TempDir
    static Path model;
    @TempDir
    static Path dataDir;

    @BeforeAll
    static void modelDir() throws IOException {
        Cli.copyResources("qwen3-tiny/policy", model, "config.json", "model.safetensors");
        try (InputStream in = new GZIPInputStream(Cli.class.getResourceAsStream("/qwen3-tokenizer/tokenizer.json.gz"))) {
            Files.copy(in, model.resolve("tokenizer.json"));
        }
        Cli.copyResources("qwen3-tokenizer", model, "tokenizer_config.json");
    }

    @Test
    void logProbsMatchTheReferenceWhateverTheBatchSize() throws IOException {
        JsonNode expected = Cli.resourceJson("/qwen3-tiny/expected.json").get("score");
        Path data = Cli.copyResources("qwen3-tiny", dataDir, "sft.jsonl").resolve("sft.jsonl");
        for (String batch : new String[] {"1", "5"}) {
            Cli.Result r = Cli.run("score", "--model", model.toString(), "--data", data.toString(), "--batch-size", batch);
            assertEquals(0, r.code(), r.err());
            List<JsonNode> rows = r.jsonLines();
            assertEquals(expected.size(), rows.size());
            for (int i = 0; i < rows.size(); i++) {
                assertEquals(expected.get(i).get("num_tokens").asInt(), rows.get(i).get("num_tokens").asInt(), "row " + i);
                double want = expected.get(i).get("logps").asDouble(), got = rows.get(i).get("logps").asDouble();
                assertTrue(Math.abs(got - want) <= 1e-4 * Math.max(Math.abs(want), 0.1),
                        "batch " + batch + " row " + i + ": got " + got + ", want " + want);
            }
        }
    }
}
