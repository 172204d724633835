package dev.lathe.models.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2's pre-tokenization: splits text into the pieces that BPE then encodes one by one, exactly as Python's
 * {@code regex} module splits with the pattern
 * <pre>{@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}</pre>
 * where {@code \s} is Unicode's White_Space property (25 code points, U+00A0, U+2028, U+3000 and U+0085
 * included; not U+001C..U+001F) and {@code \p{L}} / {@code \p{N}} are the letter and number categories.
 * <p>
 * The scanner below evaluates the alternatives in order at each position, with the greedy-then-backtrack
 * outcome worked out by hand, so it needs no regex engine: ' ' is the only optional prefix, and
 * {@code \s+(?!\S)} gives back the last whitespace character when a non-space follows. It walks code points,
 * so characters beyond the BMP (emoji) stay whole.
 */
public final class Gpt2PreTokenizer {
    private static final byte WHITESPACE = 0, LETTER = 1, NUMBER = 2, OTHER = 3;
    /** Class of every BMP character; supplementary code points are classified on the fly. */
    private static final byte[] BMP_CLASS = new byte[0x10000];

    static {
        for (int c = 0; c < BMP_CLASS.length; c++) BMP_CLASS[c] = classify(c);
    }

    private Gpt2PreTokenizer() {}

    /** Unicode White_Space (PropList.txt), the set Python's {@code regex} matches with {@code \s}. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static byte classify(int cp) {
        if (isWhiteSpace(cp)) return WHITESPACE;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    private static byte classAt(CharSequence s, int i, int end) {
        char c = s.charAt(i);
        if (!Character.isHighSurrogate(c) || i + 1 >= end || !Character.isLowSurrogate(s.charAt(i + 1))) {
            return BMP_CLASS[c];
        }
        return classify(Character.toCodePoint(c, s.charAt(i + 1)));
    }

    /** Index just past the code point at {@code i}. */
    private static int step(CharSequence s, int i, int end) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1))
                ? i + 2 : i + 1;
    }

    /** End of the run of code points of class {@code cls} starting at {@code i} (i itself if none). */
    private static int run(CharSequence s, int i, int end, byte cls) {
        while (i < end && classAt(s, i, end) == cls) i = step(s, i, end);
        return i;
    }

    /**
     * The end of the piece that starts at {@code start} in {@code s[start, end)}; {@code start < end}. Text past
     * {@code end} is not looked at (the pattern's lookahead sees {@code end} as the end of the text).
     */
    public static int pieceEnd(CharSequence s, int start, int end) {
        char c = s.charAt(start);
        if (c == '\'' && start + 1 < end) {
            int n = contraction(s, start + 1, end);
            if (n > 0) return start + 1 + n;
        }
        byte cls = classAt(s, start, end);
        if (c == ' ' && start + 1 < end) {
            byte nextCls = classAt(s, start + 1, end);
            if (nextCls != WHITESPACE) return run(s, start + 1, end, nextCls); // ' ?\p{L}+', ' ?\p{N}+', ' ?[^...]+'
        }
        if (cls != WHITESPACE) return run(s, start, end, cls);
        int wsEnd = run(s, start, end, WHITESPACE); // whitespace characters are all in the BMP: one char each
        if (wsEnd == end || wsEnd - start == 1) return wsEnd; // '\s+(?!\S)' whole, or '\s+' for a single one
        return wsEnd - 1; // '\s+(?!\S)' backs off one so that the last space can prefix the next piece
    }

    /** Length of the contraction suffix ('s 't 're 've 'm 'll 'd without the apostrophe) at {@code i}, or 0. */
    private static int contraction(CharSequence s, int i, int end) {
        char a = s.charAt(i);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 1;
        if (i + 1 >= end) return 0;
        char b = s.charAt(i + 1);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 2;
        return 0;
    }

    /** The pieces of {@code text}, in order; they concatenate back to {@code text}. */
    public static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int j = pieceEnd(text, i, text.length());
            pieces.add(text.substring(i, j));
            i = j;
        }
        return pieces;
    }
}
