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

/** {@code ./lathe bench loss} on a tiny shape: progress on stderr, and a last stdout line of JSON with the numbers. */
class BenchLossCliTest {
    @Test
    void benchLossEndsWithAJsonLine() throws Exception {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"bench", "loss", "--vocab", "97", "--tokens", "13", "--hidden", "8",
                        "--chunk-mib", "1", "--iters", "2", "--warmup", "0"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8), stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr);
        List<String> lines = stdout.lines().toList();
        JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals("loss", last.get("bench").asText());
        assertEquals(97, last.get("vocab").asInt());
        for (String key : new String[] {"fused_ms", "unfused_ms", "fused_peak_bytes", "unfused_peak_bytes"}) {
            assertTrue(last.get(key).asDouble() > 0, key + " in " + stdout);
        }
        // The unfused route holds [13, 97] logits and their gradient; the fused one never does.
        assertTrue(last.get("fused_peak_bytes").asLong() < last.get("unfused_peak_bytes").asLong(), stdout);
        assertTrue(stderr.contains("loss fused iter 2/2"), stderr);
    }

    @Test
    void badLossFlagsExitWithTwo() {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"bench", "loss", "--vocab", "0"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }
}
