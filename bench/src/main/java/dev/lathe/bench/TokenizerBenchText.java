package dev.lathe.bench;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * The tokenizer benchmarks' text: deterministic, mixed English-like prose with a long tail of rare words,
 * Unicode (accents, CJK, Cyrillic, Arabic, emoji), numbers, contractions, tabs, runs of spaces and newlines.
 * {@code main OUT_DIR [TOKENIZER_DIR]} writes it to OUT_DIR/text.txt and, with a tokenizer, its ids to
 * OUT_DIR/ids.txt (space-separated) so that another tokenizer can be timed and checked on the same text.
 */
public final class TokenizerBenchText {
    private static final String[] COMMON = {"the", "of", "and", "to", "a", "in", "is", "that", "it", "for", "was",
        "on", "with", "as", "by", "model", "tokens", "training", "data", "loss", "gradient", "policy", "reward",
        "learning", "rate", "batch", "we", "they", "this", "from", "at", "be", "are", "not", "but", "which",
        "don't", "it's", "we'll", "they're", "I'm", "you've", "he'd", "naïve", "café", "Ünïcödé", "façade",
        "日本語", "東京", "中文", "Привет", "мир", "مرحبا", "한국어", "🙂", "🚀", "👍🏽", "Ⅻ", "½", "x²"};
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "tor", "en", "qua", "ri", "ze", "pho", "ny",
        "str", "ing", "ex", "ul", "bra", "ck", "vo", "ish", "ment", "ée", "ß", "ø"};
    private static final String[] FIXTURE_LINES = {
        "Q0: Ünïcödé prefers hello the?\n   quiet don't world",
        "Hello   world\n\n  tabs\tand 'quotes' it's 1234567 ok?!",
        "ﬁ ligature Ⅻ ç", "non\u00a0breaking\u3000space \u2028line  \r\n end ",
        "Q2: numbers 日本 don't?\n emoji🙂 naïve Ünïcödé"};

    private TokenizerBenchText() {}

    /** At least {@code bytes} bytes of UTF-8 text; the same for the same arguments on every run. */
    public static String generate(int bytes, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder(bytes);
        int utf8 = 0;
        while (utf8 < bytes) {
            int start = sb.length();
            if (rnd.nextInt(20) == 0) {
                sb.append(FIXTURE_LINES[rnd.nextInt(FIXTURE_LINES.length)]);
            } else {
                int words = 5 + rnd.nextInt(16);
                for (int w = 0; w < words; w++) {
                    if (w > 0) sb.append(rnd.nextInt(40) == 0 ? (rnd.nextBoolean() ? "  " : "\t") : " ");
                    int kind = rnd.nextInt(100);
                    if (kind < 70) {
                        int i = (int) Math.min(COMMON.length - 1, Math.abs(rnd.nextGaussian()) * COMMON.length / 2.5);
                        sb.append(w == 0 ? capitalize(COMMON[i]) : COMMON[i]);
                    } else if (kind < 92) { // a rare word: most of them occur once or twice in the text
                        for (int k = 2 + rnd.nextInt(3); k > 0; k--) {
                            sb.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
                        }
                    } else {
                        sb.append(rnd.nextInt(1 + rnd.nextInt(100_000)));
                    }
                    if (rnd.nextInt(8) == 0) sb.append(",;:".charAt(rnd.nextInt(3)));
                }
                sb.append(".?!".charAt(rnd.nextInt(3)));
            }
            sb.append(rnd.nextInt(4) == 0 ? "\n\n" : rnd.nextBoolean() ? "\n" : " ");
            utf8 += sb.substring(start).getBytes(StandardCharsets.UTF_8).length;
        }
        return sb.toString();
    }

    private static String capitalize(String w) {
        return Character.isLowerCase(w.charAt(0)) ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w;
    }

    public static void main(String[] args) throws IOException {
        Path out = Files.createDirectories(Path.of(args[0]));
        String text = generate(TokenizerBenchmark.TEXT_BYTES, TokenizerBenchmark.SEED);
        Files.writeString(out.resolve("text.txt"), text, StandardCharsets.UTF_8);
        if (args.length > 1) {
            StringJoiner ids = new StringJoiner(" ");
            int[] encoded = ByteLevelBpeTokenizer.fromDirectory(Path.of(args[1])).encode(text);
            for (int id : encoded) ids.add(Integer.toString(id));
            Files.writeString(out.resolve("ids.txt"), ids.toString());
        }
    }
}
