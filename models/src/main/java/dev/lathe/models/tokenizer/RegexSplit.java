package dev.lathe.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face's {@code Split} pre-tokenizer: the matches of a pattern are the delimiters, and {@code behavior}
 * says what becomes of them ({@code invert} swaps the roles of matches and the text between them). On
 * "the-final--countdown" split at "-": Removed gives the|final|countdown, Isolated the|-|final|-|-|countdown,
 * MergedWithPrevious the-|final-|-|countdown, MergedWithNext the|-final|-|-countdown, Contiguous
 * the|-|final|--|countdown.
 * <p>
 * The regex dialect of tokenizer.json files (Oniguruma's: {@code (?i:…)}, {@code \p{L}}, {@code \p{N}},
 * {@code \s}, lookahead) is read by {@link java.util.regex} with {@link Pattern#UNICODE_CHARACTER_CLASS}, which
 * makes {@code \s} Unicode's White_Space and case-insensitivity Unicode-aware as in Oniguruma. Matching runs on
 * code points, so characters beyond the BMP stay whole.
 */
public final class RegexSplit implements PreTokenizer {
    /** What becomes of the delimiters. */
    public enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    private final Pattern pattern;
    private final Behavior behavior;
    private final boolean invert;

    public RegexSplit(Pattern pattern, Behavior behavior, boolean invert) {
        this.pattern = pattern;
        this.behavior = behavior;
        this.invert = invert;
    }

    /** A Split on a tokenizer.json regex ({@code {"Regex": ...}}). */
    public static RegexSplit regex(String regex, Behavior behavior, boolean invert) {
        return new RegexSplit(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS), behavior, invert);
    }

    /** A Split on a literal string ({@code {"String": ...}}). */
    public static RegexSplit literal(String delimiter, Behavior behavior, boolean invert) {
        return new RegexSplit(Pattern.compile(Pattern.quote(delimiter)), behavior, invert);
    }

    @Override
    public void split(String text, int start, int end, Pieces out) {
        // Runs covering [start, end): each {from, to, 1 if delimiter}; empty matches delimit nothing.
        List<int[]> runs = new ArrayList<>();
        Matcher m = pattern.matcher(text).region(start, end);
        int at = start;
        while (m.find()) {
            if (m.start() == m.end()) continue;
            if (m.start() > at) runs.add(new int[] {at, m.start(), invert ? 1 : 0});
            runs.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
            at = m.end();
        }
        if (at < end) runs.add(new int[] {at, end, invert ? 1 : 0});
        int pendingFrom = -1; // start of a delimiter waiting to be merged into the next piece
        for (int i = 0; i < runs.size(); i++) {
            int[] r = runs.get(i);
            boolean delimiter = r[2] == 1;
            switch (behavior) {
                case REMOVED -> {
                    if (!delimiter) out.piece(r[0], r[1]);
                }
                case ISOLATED -> out.piece(r[0], r[1]);
                case MERGED_WITH_PREVIOUS -> {
                    boolean nextIsDelimiter = i + 1 < runs.size() && runs.get(i + 1)[2] == 1;
                    if (delimiter || !nextIsDelimiter) out.piece(r[0], r[1]);
                    else out.piece(r[0], runs.get(++i)[1]);
                }
                case MERGED_WITH_NEXT -> {
                    if (delimiter) {
                        if (pendingFrom >= 0) out.piece(pendingFrom, r[0]);
                        pendingFrom = r[0];
                    } else {
                        out.piece(pendingFrom >= 0 ? pendingFrom : r[0], r[1]);
                        pendingFrom = -1;
                    }
                }
                case CONTIGUOUS -> {
                    int to = r[1];
                    while (delimiter && i + 1 < runs.size() && runs.get(i + 1)[2] == 1) to = runs.get(++i)[1];
                    out.piece(r[0], to);
                }
            }
        }
        if (pendingFrom >= 0) out.piece(pendingFrom, end);
    }
}
