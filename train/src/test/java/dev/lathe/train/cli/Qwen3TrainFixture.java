package dev.lathe.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * The qwen3-tiny fixture (PyTorch float64 references, Qwen3's real tokenizer) of the models module's test
 * resources, laid out as Hugging Face model folders the CLI reads: config.json, model.safetensors, tokenizer.json
 * and tokenizer_config.json (the chat template, eos {@code <|im_end|>}).
 */
final class Qwen3TrainFixture {
    private Qwen3TrainFixture() {}

    /** {@code qwen3-tiny/<name>} (policy or ref) with the tokenizer files, as {@code root/<name>}. */
    static Path modelDir(Path root, String name) throws IOException {
        return tokenizerFiles(TrainFixture.copy("qwen3-tiny/" + name, root.resolve(name), "config.json", "model.safetensors"));
    }

    /** Qwen3's tokenizer.json (stored gzipped in the resources) and tokenizer_config.json, copied into {@code dir}. */
    static Path tokenizerFiles(Path dir) throws IOException {
        String gz = "/qwen3-tokenizer/tokenizer.json.gz";
        try (InputStream in = new GZIPInputStream(Objects.requireNonNull(
                Qwen3TrainFixture.class.getResourceAsStream(gz), "missing test resource " + gz))) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        return TrainFixture.copy("qwen3-tokenizer", dir, "tokenizer_config.json");
    }

    /** {@code qwen3-tiny/<name>} (sft.jsonl, prefs.jsonl, chat.jsonl), copied into the shared fixture folder. */
    static Path dataFile(String name) throws IOException {
        return TrainFixture.copy("qwen3-tiny", TrainFixture.sharedDir().resolve("qwen3-tiny"), name).resolve(name);
    }

    /** {@code qwen3-tiny/<name>} parsed as JSON: expected.json (logits, score, sft, dpo_sigmoid), expected-chat.json. */
    static JsonNode json(String name) throws IOException {
        try (InputStream in = Qwen3TrainFixture.class.getResourceAsStream("/qwen3-tiny/" + name)) {
            if (in == null) throw new IOException("missing test resource /qwen3-tiny/" + name);
            return TrainFixture.JSON.readTree(in);
        }
    }

    /** The fixture's expected.json: logits, score, sft, dpo_sigmoid. */
    static JsonNode expected() throws IOException {
        return json("expected.json");
    }
}
