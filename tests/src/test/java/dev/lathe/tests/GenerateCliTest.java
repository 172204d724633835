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

/** {@code ./lathe generate} on the gpt2-tiny policy: cache and no cache agree, sampling is seeded. */
class GenerateCliTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        model = Cli.gpt2TinyPolicy(dir.resolve("policy"));
    }

    private static List<JsonNode> generate(String... extra) {
        String[] base = {"generate", "--model", model.toString(), "--max-new-tokens", "6"};
        String[] argv = new String[base.length + extra.length];
        System.arraycopy(base, 0, argv, 0, base.length);
        System.arraycopy(extra, 0, argv, base.length, extra.length);
        Cli.Result r = Cli.run(argv);
        assertEquals(0, r.code(), r.err());
        return r.jsonLines();
    }

    @Test
    void theKvCacheChangesNothingAndSamplingIsSeeded() throws IOException {
        Path prompts = Files.writeString(dir.resolve("prompts.jsonl"),
                "{\"prompt\":\"Q1: answer hello?\\n\"}\n{\"prompt\":\"Q2: numbers 日本 don't?\\n\"}\n");
        for (String[] sampling : new String[][] {{}, {"--temperature", "1.5", "--top-k", "50", "--seed", "7"}}) {
            List<JsonNode> cached = generate(concat(sampling, "--data", prompts.toString()));
            List<JsonNode> full = generate(concat(sampling, "--data", prompts.toString(), "--no-cache"));
            assertEquals(2, cached.size());
            for (int i = 0; i < 2; i++) {
                assertEquals(cached.get(i).get("completion_ids"), full.get(i).get("completion_ids"));
                for (int t = 0; t < cached.get(i).get("logprobs").size(); t++) {
                    double a = cached.get(i).get("logprobs").get(t).asDouble(), b = full.get(i).get("logprobs").get(t).asDouble();
                    assertTrue(a <= 0 && Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), a + " vs " + b);
                }
            }
            List<JsonNode> again = generate(concat(sampling, "--data", prompts.toString()));
            for (int i = 0; i < 2; i++) {
                // Same seed, same tokens (log-probs may differ in the last bit as the JIT swaps kernel versions).
                assertEquals(cached.get(i).get("completion_ids"), again.get(i).get("completion_ids"), "same seed");
            }
        }
    }

    @Test
    void badUsageExitsWithTwo() {
        for (String[] argv : new String[][] {
                {"generate", "--model", model.toString()},
                {"generate", "--model", model.toString(), "--prompt", "x", "--data", "y"},
                {"generate", "--model", model.toString(), "--prompt", "x", "--top-p", "0"},
                {"generate", "--model", model.toString(), "--prompt", "x", "--max-new-tokens", "0"}}) {
            Cli.Result r = Cli.run(argv);
            assertEquals(2, r.code(), String.join(" ", argv) + ": " + r.err());
            assertEquals("", r.out());
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
