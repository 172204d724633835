package dev.lathe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.train.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ./lathe bench train} with the tiny preset: progress on stderr, a last stdout line of JSON with the numbers. */
class BenchTrainCliTest {
    @Test
    void benchTrainEndsWithAJsonLine() throws Exception {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"bench", "train", "--preset", "tiny", "--batch-size", "2", "--seq-len", "16",
                        "--steps", "3", "--warmup", "1", "--device", "cpu"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8), stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr);
        List<String> lines = stdout.lines().toList();
        JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals("train", last.get("bench").asText());
        assertEquals("tiny", last.get("preset").asText());
        for (String key : new String[] {"ms_per_step", "tokens_per_second", "peak_rss_bytes", "forward_ms",
                "backward_ms", "adamw_ms"}) {
            assertTrue(last.get(key).asDouble() > 0, key + " in " + stdout);
        }
        // tokens_per_second counts the 2 x 16 tokens of one median step.
        assertEquals(32 / (last.get("ms_per_step").asDouble() / 1e3), last.get("tokens_per_second").asDouble(),
                0.01 * last.get("tokens_per_second").asDouble());
        // A freshly initialised GPT-2 (weights ~0.02) predicts near-uniformly over its 97 tokens: loss ≈ ln 97;
        // every step trains on the same tokens, so by the fourth the loss has fallen.
        assertEquals(Math.log(97), last.get("first_loss").asDouble(), 0.05, stdout);
        assertTrue(last.get("loss").asDouble() < last.get("first_loss").asDouble() - 0.05, stdout);
        assertTrue(stderr.contains("train step 3/3"), stderr);
    }

    @Test
    void unknownPresetExitsWithTwo() {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"bench", "train", "--preset", "gpt5"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("gpt5"));
    }
}
