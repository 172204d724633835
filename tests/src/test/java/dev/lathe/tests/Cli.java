package dev.lathe.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.train.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs the CLI in-process and captures what it prints; copies test resources (this module's and, through its
 * test-jar, the models module's fixtures) to files the CLI can read.
 */
final class Cli {
    static final ObjectMapper JSON = new ObjectMapper();

    private Cli() {}

    /** Exit code, stdout and stderr of one command line. */
    record Result(int code, String out, String err) {
        /** Every stdout line parsed as JSON (fails the test on a line that is not). */
        List<JsonNode> jsonLines() {
            return out.lines().map(l -> {
                try {
                    return JSON.readTree(l);
                } catch (IOException e) {
                    throw new AssertionError("stdout line is not JSON: " + l, e);
                }
            }).toList();
        }
    }

    static Result run(String... argv) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The gpt2-tiny policy with GPT-2's tokenizer files (the models module's test resources), copied into {@code dir}. */
    static Path gpt2TinyPolicy(Path dir) throws IOException {
        copyResources("gpt2-tiny/policy", dir, "config.json", "model.safetensors");
        return copyResources("gpt2", dir, "vocab.json", "merges.txt");
    }

    /** Copies classpath resources {@code folder/name} into {@code dir}. */
    static Path copyResources(String folder, Path dir, String... names) throws IOException {
        Files.createDirectories(dir);
        for (String name : names) {
            try (InputStream in = Cli.class.getResourceAsStream("/" + folder + "/" + name)) {
                if (in == null) throw new IOException("missing test resource /" + folder + "/" + name);
                Files.copy(in, dir.resolve(name));
            }
        }
        return dir;
    }

    static JsonNode resourceJson(String path) throws IOException {
        try (InputStream in = Cli.class.getResourceAsStream(path)) {
            return JSON.readTree(in);
        }
    }
}
