package dev.lathe.train.dpo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.TrainFixture;
import dev.lathe.train.data.PreferenceData;
import dev.lathe.train.data.PreferenceExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The gpt2-tiny DPO fixture in the test resources: policy/ (BF16), ref/ (F16, keys without prefix), GPT-2's
 * tokenizer files, prefs.jsonl (the models module's, copied into {@link TrainFixture#sharedDir()}) and the
 * {@code dpo} values PyTorch computed in float64 (dpo/expected.json). Models and the tokenizer are loaded once and
 * shared by the tests of a class, which calls {@link #close()} after all.
 */
final class DpoFixture {
    private static Gpt2Model policy;
    private static Gpt2Model reference;
    private static ByteLevelBpeTokenizer tokenizer;

    private DpoFixture() {}

    /** policy/ or ref/, each with GPT-2's tokenizer files. */
    private static Path modelDir(String which) throws IOException {
        return TrainFixture.modelDir(TrainFixture.sharedDir(), which);
    }

    /** The shared policy: tests that change its weights load their own with {@link #loadPolicy()}. */
    static synchronized Gpt2Model policy() {
        if (policy == null) policy = loadPolicy();
        return policy;
    }

    static synchronized Gpt2Model reference() {
        if (reference == null) reference = load("ref");
        return reference;
    }

    static Gpt2Model loadPolicy() {
        return load("policy");
    }

    static synchronized ByteLevelBpeTokenizer tokenizer() {
        if (tokenizer == null) {
            try {
                tokenizer = ByteLevelBpeTokenizer.fromDirectory(modelDir("policy"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizer;
    }

    /** The six rows of prefs.jsonl, long enough not to be truncated. */
    static List<PreferenceExample> examples() throws IOException {
        return PreferenceData.load(TrainFixture.dataFile(TrainFixture.sharedDir(), "prefs.jsonl"), tokenizer(),
                PreferenceData.Truncation.forContext(policy().config().maxPositions())).rows();
    }

    /** expected.json's {@code dpo} section: variant → loss, rewards/*, logps/*, grad_norm. */
    static JsonNode expectedDpo() throws IOException {
        try (InputStream in = DpoFixture.class.getResourceAsStream("/dpo/expected.json")) {
            return TrainFixture.JSON.readTree(in).get("dpo");
        }
    }

    /** The fixtures' tolerance: |got − want| ≤ rel · max(|want|, 0.1). */
    static void assertClose(double want, double got, double rel, String what) {
        assertTrue(Math.abs(got - want) <= rel * Math.max(Math.abs(want), 0.1), what + ": got " + got + ", want " + want);
    }

    static synchronized void close() {
        if (policy != null) policy.close();
        if (reference != null) reference.close();
        policy = null;
        reference = null;
    }

    private static Gpt2Model load(String which) {
        try {
            return Gpt2Model.load(modelDir(which));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
