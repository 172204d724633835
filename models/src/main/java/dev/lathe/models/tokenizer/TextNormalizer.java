package dev.lathe.models.tokenizer;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/**
 * A tokenizer.json normalizer: Unicode normal forms ({@code NFC}, {@code NFD}, {@code NFKC}, {@code NFKD}),
 * {@code Lowercase}, and a {@code Sequence} of them. Applied to the text between added tokens before
 * pre-tokenization. Immutable.
 */
public interface TextNormalizer {
    /** The normalized text. */
    String apply(String text);

    /** Whether {@link #apply} leaves {@code text} as it is (cheap: the common case skips the work). */
    boolean leavesUnchanged(String text);

    /** One of Unicode's normal forms. */
    static TextNormalizer form(Normalizer.Form form) {
        return new TextNormalizer() {
            @Override
            public String apply(String text) {
                return Normalizer.normalize(text, form);
            }

            @Override
            public boolean leavesUnchanged(String text) {
                return Normalizer.isNormalized(text, form);
            }
        };
    }

    /** Unicode lower case (Rust's {@code to_lowercase}, locale-independent). */
    static TextNormalizer lowercase() {
        return new TextNormalizer() {
            @Override
            public String apply(String text) {
                return text.toLowerCase(Locale.ROOT);
            }

            @Override
            public boolean leavesUnchanged(String text) {
                return text.equals(apply(text));
            }
        };
    }

    /** Each normalizer in turn. */
    static TextNormalizer sequence(List<TextNormalizer> steps) {
        return new TextNormalizer() {
            @Override
            public String apply(String text) {
                for (TextNormalizer n : steps) text = n.apply(text);
                return text;
            }

            @Override
            public boolean leavesUnchanged(String text) {
                for (TextNormalizer n : steps) if (!n.leavesUnchanged(text)) return false;
                return true;
            }
        };
    }
}
