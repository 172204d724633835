package dev.lathe.train.rollout;

import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Built-in rewards computed from a completion's text (its tokens up to, not including, EOS), 1 or 0:
 * <ul>
 *   <li>{@code exact-answer}: the trimmed text equals the row's trimmed {@code "answer"};</li>
 *   <li>{@code regex:PATTERN}: the text contains a match of the Java regular expression PATTERN.</li>
 * </ul>
 */
public final class VerifiableRewards {
    public static final String EXACT_ANSWER = "exact-answer";
    public static final String REGEX = "regex:";

    private VerifiableRewards() {}

    /** Whether {@code name} asks for the rows' answers. */
    public static boolean needsAnswer(String name) {
        return name.equals(EXACT_ANSWER);
    }

    /**
     * The scorer called {@code name}, decoding ids to text with {@code decode}; an unknown name or a bad pattern
     * is an IllegalArgumentException saying what is accepted.
     */
    public static CompletionScorer named(String name, Function<int[], String> decode) {
        if (name.equals(EXACT_ANSWER)) {
            return (batch, prompts) -> {
                double[] out = new double[batch.rows()];
                for (int b = 0; b < out.length; b++) {
                    String answer = prompts.get(b).answer();
                    if (answer == null) throw new IllegalArgumentException("exact-answer needs an \"answer\" in every row");
                    out[b] = decode.apply(batch.completionIds(b)).strip().equals(answer.strip()) ? 1 : 0;
                }
                return out;
            };
        }
        if (name.startsWith(REGEX)) {
            Pattern pattern;
            try {
                pattern = Pattern.compile(name.substring(REGEX.length()));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("bad regular expression in " + name + ": " + e.getDescription());
            }
            return (batch, prompts) -> {
                double[] out = new double[batch.rows()];
                for (int b = 0; b < out.length; b++) {
                    out[b] = pattern.matcher(decode.apply(batch.completionIds(b))).find() ? 1 : 0;
                }
                return out;
            };
        }
        throw new IllegalArgumentException("unknown reward function '" + name + "'; expected exact-answer or regex:PATTERN");
    }
}
