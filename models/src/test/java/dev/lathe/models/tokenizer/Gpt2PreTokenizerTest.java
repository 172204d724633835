package dev.lathe.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The hand-written scanner against GPT-2's pattern run by java.util.regex, with {@code \s} spelled as Unicode's
 * White_Space property, which is what Python's {@code regex} module matches with {@code \s}.
 */
class Gpt2PreTokenizerTest {
    private static final Pattern GPT2_PATTERN = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+"
            + "| ?[^\\p{IsWhite_Space}\\p{L}\\p{N}]+|\\p{IsWhite_Space}+(?!\\P{IsWhite_Space})|\\p{IsWhite_Space}+");

    private static List<String> regexSplit(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = GPT2_PATTERN.matcher(text);
        while (m.find()) pieces.add(m.group());
        return pieces;
    }

    @Test
    void whiteSpaceIsUnicodesWhiteSpaceProperty() {
        Pattern ws = Pattern.compile("\\p{IsWhite_Space}");
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Character.getType(cp) == Character.SURROGATE) continue;
            assertEquals(ws.matcher(Character.toString(cp)).matches(), Gpt2PreTokenizer.isWhiteSpace(cp),
                    Integer.toHexString(cp));
        }
        // Java's plain \s is ASCII-only: it would miss these (Python's regex \s matches them)
        for (char c : new char[] {'\u00a0', '\u3000', '\u2028', '\u0085'}) {
            assertFalse(Pattern.matches("\\s", String.valueOf(c)));
            assertEquals(List.of(" ", String.valueOf(c), "!"), Gpt2PreTokenizer.split(" " + c + "!"));
        }
    }

    @Test
    void unicodeWhitespaceSplitsAsThePatternDefines() {
        // A non-ASCII space is \s: never a ' ?' prefix (only U+0020 is), alone before a non-space it is '\s+'
        assertEquals(List.of("a", "\u00a0", "b"), Gpt2PreTokenizer.split("a\u00a0b"));
        // '\s+(?!\S)' backs off one character so that the last one, a plain space, prefixes the word
        assertEquals(List.of("x", "\u3000\u3000", " y"), Gpt2PreTokenizer.split("x\u3000\u3000 y"));
        // ... but a non-ASCII last space cannot prefix it and stands alone
        assertEquals(List.of("x", " ", "\u3000", "y"), Gpt2PreTokenizer.split("x \u3000y"));
        assertEquals(List.of("end", "\u2028\u0085 "), Gpt2PreTokenizer.split("end\u2028\u0085 "));
        // U+001C..U+001F are str.isspace() in Python but not White_Space, so not \s for the regex module
        assertEquals(List.of(" \u001c!"), Gpt2PreTokenizer.split(" \u001c!"));
    }

    @Test
    void splitsTheFixtureTextAsHuggingFaceDid() {
        String text = "non\u00a0breaking\u3000space \u2028line  \r\n end ";
        List<String> pieces = List.of("non", "\u00a0", "breaking", "\u3000", "space", " ", "\u2028", "line",
                "  \r\n", " end", " ");
        assertEquals(pieces, Gpt2PreTokenizer.split(text));
        // the reference ids are exactly the BPE of these pieces, one after the other
        Gpt2Files.Expected fixture = Gpt2Files.expected().stream().filter(e -> e.text().equals(text)).findFirst()
                .orElseThrow();
        int[] concatenated = pieces.stream().flatMapToInt(p -> IntStream.of(Gpt2Files.GPT2.encode(p))).toArray();
        assertArrayEquals(fixture.ids(), concatenated);
    }

    @Test
    void contractionsLettersNumbersAndSymbols() {
        assertEquals(List.of("don", "'t", " we", "'ll", "'ve"), Gpt2PreTokenizer.split("don't we'll've"));
        assertEquals(List.of("DON", "'", "T"), Gpt2PreTokenizer.split("DON'T")); // case-sensitive, as GPT-2's
        assertEquals(List.of("?'", "s"), Gpt2PreTokenizer.split("?'s"));
        assertEquals(List.of("a", "🙂🙂", "b", " 🙂"), Gpt2PreTokenizer.split("a🙂🙂b 🙂"));
        assertEquals(List.of("x", " 𝔘𝔫", " 𝟙𝟚12", "ab"), Gpt2PreTokenizer.split("x 𝔘𝔫 𝟙𝟚12ab"));
    }

    @Test
    void scannerEqualsTheRegexOnRandomText() {
        int[] pool = (" \t\n\r\u000b\u000c\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\u001c\u200b"
                + "'srtvelmdSRTa1½Ⅻ²٣.,!?-_é\u0301日本ßﬁ").codePoints().toArray();
        int[] astral = {0x1F642, 0x1D518, 0x1D7D9, 0x20000, 0x1F3FD};
        SplittableRandom rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 20_000; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(24);
            for (int i = 0; i < len; i++) {
                boolean rare = rnd.nextInt(8) == 0;
                sb.appendCodePoint(rare ? astral[rnd.nextInt(astral.length)] : pool[rnd.nextInt(pool.length)]);
            }
            String s = sb.toString();
            assertEquals(regexSplit(s), Gpt2PreTokenizer.split(s), s);
        }
        for (Gpt2Files.Expected e : Gpt2Files.expected()) {
            assertEquals(regexSplit(e.text()), Gpt2PreTokenizer.split(e.text()));
        }
    }
}
