package dev.lathe.train.data;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.TrainFixture;
import java.io.IOException;
import java.io.UncheckedIOException;

/** GPT-2's tokenizer from the test resources (gpt2/: vocab.json + merges.txt), loaded once. */
final class Gpt2Tokenizer {
    private static ByteLevelBpeTokenizer tokenizer;

    private Gpt2Tokenizer() {}

    static synchronized ByteLevelBpeTokenizer get() {
        if (tokenizer == null) {
            try {
                tokenizer = ByteLevelBpeTokenizer.fromDirectory(
                        TrainFixture.copy("gpt2", TrainFixture.sharedDir().resolve("gpt2"), "vocab.json", "merges.txt"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizer;
    }
}
