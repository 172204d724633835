package dev.lathe.train.data;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** GPT-2's tokenizer from the test resources (gpt2-tiny/tokenizer: vocab.json + merges.txt), loaded once. */
final class Gpt2Tokenizer {
    private static ByteLevelBpeTokenizer tokenizer;

    private Gpt2Tokenizer() {}

    static synchronized ByteLevelBpeTokenizer get() {
        if (tokenizer == null) {
            try {
                tokenizer = ByteLevelBpeTokenizer.fromDirectory(
                        Path.of(Gpt2Tokenizer.class.getResource("/gpt2-tiny/tokenizer").toURI()));
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return tokenizer;
    }
}
