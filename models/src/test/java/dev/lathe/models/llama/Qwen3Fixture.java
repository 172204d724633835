package dev.lathe.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.models.Fixtures;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The qwen3-tiny reference checkpoints (policy/ BF16, ref/ F16) and expected.json in the test resources. */
final class Qwen3Fixture {
    private Qwen3Fixture() {}

    static Path dir(String which) {
        try {
            return Path.of(Qwen3Fixture.class.getResource("/qwen3-tiny/" + which).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected() throws IOException {
        return new ObjectMapper().readTree(dir("expected.json").toFile());
    }

    /** Row log-sum-exp of flat logits [.., V] at row {@code row}, max-shifted in float64. */

    static int[] probeIds() throws IOException {
        return Fixtures.ints(expected().get("logits").get("ids"));
    }
}
