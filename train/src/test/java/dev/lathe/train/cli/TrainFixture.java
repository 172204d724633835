package dev.lathe.train.cli;

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
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The gpt2-tiny fixture (PyTorch float64 references) as files the CLI can read, and an in-process CLI runner.
 * The checkpoints, data files and GPT-2's tokenizer files are the models module's test resources (its test-jar on
 * the classpath, so they are read as classpath resources and copied out); expected.json is this module's.
 */
public final class TrainFixture {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static Path shared;

    private TrainFixture() {}

    /** Exit code, stdout and stderr of one command line. */
    public record Result(int code, String out, String err) {}

    public static Result run(String... argv) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code gpt2-tiny/<name>} (policy, ref or rm) with GPT-2's tokenizer files, copied into {@code root/<name>}. */
    public static Path modelDir(Path root, String name) throws IOException {
        Path dir = root.resolve(name);
        copy("gpt2-tiny/" + name, dir, "config.json", "model.safetensors");
        copy("gpt2", dir, "vocab.json", "merges.txt");
        return dir;
    }

    /** {@code gpt2-tiny/<name>} (sft.jsonl, prefs.jsonl) copied into {@code root}. */
    public static Path dataFile(Path root, String name) throws IOException {
        copy("gpt2-tiny", root, name);
        return root.resolve(name);
    }

    /** The sft and reward parts of the fixture's expected.json. */
    public static JsonNode expected() throws IOException {
        try (InputStream in = TrainFixture.class.getResourceAsStream("/gpt2-tiny/expected.json")) {
            return JSON.readTree(in);
        }
    }

    /** Every line of {@code run/metrics.jsonl}. */
    public static List<JsonNode> metrics(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new AssertionError("metrics line is not JSON: " + l, e);
            }
        }).toList();
    }

    /** The fixtures' tolerance: |got − want| ≤ rel · max(|want|, 0.1) (1e-4 for values, 1e-3 for grad norms). */
    public static boolean close(double want, double got, double rel) {
        return Math.abs(got - want) <= rel * Math.max(Math.abs(want), 0.1);
    }

    /** Classpath resources {@code folder/<name>} copied into {@code dir} (files already there are kept). */
    public static Path copy(String folder, Path dir, String... names) throws IOException {
        Files.createDirectories(dir);
        for (String name : names) {
            if (Files.exists(dir.resolve(name))) continue;
            try (InputStream in = TrainFixture.class.getResourceAsStream("/" + folder + "/" + name)) {
                if (in == null) throw new IOException("missing test resource /" + folder + "/" + name);
                Files.copy(in, dir.resolve(name));
            }
        }
        return dir;
    }

    /**
     * A temporary folder for fixture files that test classes share (models and tokenizers loaded once per run),
     * deleted when the JVM exits.
     */
    public static synchronized Path sharedDir() throws IOException {
        if (shared == null) {
            Path dir = Files.createTempDirectory("lathe-fixture");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            shared = dir;
        }
        return shared;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
