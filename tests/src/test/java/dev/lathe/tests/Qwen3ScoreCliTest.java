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
    private static final Path RESOURCES = Path.of("..", "models", "src", "test", "resources");

    @TempDir
    static Path model;

    @BeforeAll
    static void modelDir() throws IOException {
        Path policy = RESOURCES.resolve("qwen3-tiny/policy"), tok = RESOURCES.resolve("qwen3-tokenizer");
        Files.copy(policy.resolve("config.json"), model.resolve("config.json"));
        Files.copy(policy.resolve("model.safetensors"), model.resolve("model.safetensors"));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tok.resolve("tokenizer.json.gz")))) {
            Files.copy(in, model.resolve("tokenizer.json"));
        }
        Files.copy(tok.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
    }

    @Test
    void logProbsMatchTheReferenceWhateverTheBatchSize() throws IOException {
        JsonNode expected = Cli.JSON.readTree(RESOURCES.resolve("qwen3-tiny/expected.json").toFile()).get("score");
        Path data = RESOURCES.resolve("qwen3-tiny/sft.jsonl");
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
