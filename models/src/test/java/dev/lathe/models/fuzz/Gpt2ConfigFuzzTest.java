package dev.lathe.models.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lathe.models.io.Gpt2Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated {@code config.json} files: {@link Gpt2Config#read} either returns a configuration or throws
 * IllegalArgumentException naming the file (the documented exception for a malformed or unsupported config).
 */
class Gpt2ConfigFuzzTest {
    private static final int MUTATIONS = 3000;
    private static final String VALID = """
            {
              "activation_function": "gelu_new",
              "architectures": ["GPT2LMHeadModel"],
              "bos_token_id": 50256,
              "eos_token_id": 50256,
              "id2label": {"0": "LABEL_0"},
              "initializer_range": 0.02,
              "layer_norm_epsilon": 1e-05,
              "model_type": "gpt2",
              "n_ctx": 128,
              "n_embd": 32,
              "n_head": 4,
              "n_inner": null,
              "n_layer": 2,
              "n_positions": 128,
              "pad_token_id": 0,
              "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
              "tie_word_embeddings": true,
              "torch_dtype": "float32",
              "vocab_size": 50257
            }
            """;

    @TempDir
    Path tmp;

    @Test
    void mutatedConfigsOnlyEverThrowIllegalArgumentException() throws IOException {
        byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
        Path file = tmp.resolve("config.json");
        Files.write(file, valid);
        Gpt2Config.read(file);
        int rejected = 0;
        for (int seed = 0; seed < MUTATIONS; seed++) {
            Files.write(file, Mutations.mutate(valid, new Random(seed)));
            try {
                Gpt2Config.read(file);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith(file.toString()), "seed " + seed + ": " + e.getMessage());
                rejected++;
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + ": " + t, t);
            }
        }
        if (rejected < MUTATIONS / 4 || rejected > MUTATIONS - MUTATIONS / 50) fail("rejected " + rejected + " of " + MUTATIONS);
    }

    @Test
    void aConfigOverTheSizeLimitIsRejectedUnread() throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, "{\"n_embd\": 32" + " ".repeat((int) Gpt2Config.MAX_FILE_BYTES) + "}");
        try {
            Gpt2Config.read(file);
            fail("read a config over the limit");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
        }
    }
}
