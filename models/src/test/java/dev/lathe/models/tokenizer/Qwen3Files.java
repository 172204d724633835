package dev.lathe.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * Qwen3's tokenizer files from the test resources (qwen3-tokenizer/, tokenizer.json stored gzipped), laid out
 * as a model directory in a temporary folder, and its reference encodings. Loaded once.
 */
public final class Qwen3Files {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** A model directory holding tokenizer.json and tokenizer_config.json. */
    public static final Path MODEL_DIR = modelDir();
    public static final ByteLevelBpeTokenizer QWEN3 = ByteLevelBpeTokenizer.fromDirectory(MODEL_DIR);

    private Qwen3Files() {}

    public static Path resource(String name) {
        try {
            return Path.of(Qwen3Files.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(String name) {
        try {
            return JSON.readTree(resource(name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    private static Path modelDir() {
        try {
            Path dir = Files.createTempDirectory("qwen3-tokenizer");
            Path src = resource("qwen3-tokenizer");
            try (InputStream in = new GZIPInputStream(Files.newInputStream(src.resolve("tokenizer.json.gz")))) {
                Files.copy(in, dir.resolve("tokenizer.json"));
            }
            Files.copy(src.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"),
                    StandardCopyOption.COPY_ATTRIBUTES);
            // deleteOnExit runs in reverse order of registration: the folder first here, so it goes last, empty.
            for (String f : new String[] {"", "tokenizer.json", "tokenizer_config.json"}) {
                dir.resolve(f).toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
