package dev.lathe.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The gpt2-tiny reference checkpoints and values (PyTorch, float64) copied into the test resources. */
public final class Fixtures {
    private Fixtures() {}

    /** policy/ (BF16, prefixed keys), ref/ (F16, unprefixed keys) or rm/ (F32, GPT2ForSequenceClassification). */
    public static Path gpt2Tiny(String which) {
        try {
            return Path.of(Fixtures.class.getResource("/gpt2-tiny/" + which).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code logits} probe of expected.json: ids, last_row_first8, row_logsumexp. */
    public static JsonNode expectedLogits() throws IOException {
        return new ObjectMapper().readTree(gpt2Tiny("expected-logits.json").toFile()).get("logits");
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).intValue();
        return out;
    }

    public static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).doubleValue();
        return out;
    }

    /** The fixtures' tolerance: |got − want| ≤ rel · max(|want|, 0.1). */
    public static void assertClose(double want, double got, double rel, String what) {
        assertTrue(Math.abs(got - want) <= rel * Math.max(Math.abs(want), 0.1), what + ": got " + got + ", want " + want);
    }
}
