package dev.lathe.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The qwen3-tiny fixture (PyTorch float64 references, Qwen3's real tokenizer) of the models module's test
 * resources, laid out as Hugging Face model folders the CLI reads: config.json, model.safetensors, tokenizer.json
 * and tokenizer_config.json (the chat template, eos {@code <|im_end|>}).
 */
final class Qwen3TrainFixture {
    static final Path RESOURCES = Path.of("..", "models", "src", "test", "resources");

    private Qwen3TrainFixture() {}

    /** {@code qwen3-tiny/<name>} (policy or ref) with the tokenizer files, as {@code root/<name>}. */
    static Path modelDir(Path root, String name) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Path model = RESOURCES.resolve("qwen3-tiny").resolve(name), tok = RESOURCES.resolve("qwen3-tokenizer");
        Files.copy(model.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(model.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tok.resolve("tokenizer.json.gz")))) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.copy(tok.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }

    /** {@code qwen3-tiny/<name>} (sft.jsonl, prefs.jsonl). */
    static Path dataFile(String name) {
        return RESOURCES.resolve("qwen3-tiny").resolve(name);
    }

    /** The fixture's expected.json: logits, score, sft, dpo_sigmoid. */
    static JsonNode expected() throws IOException {
        return TrainFixture.JSON.readTree(RESOURCES.resolve("qwen3-tiny/expected.json").toFile());
    }
}
