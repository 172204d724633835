package dev.lathe.train.pipeline;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The pipeline's built-in task: sort a list of distinct digits. Prompt {@code "sort 3 8 1:"}; two well-formed
 * answers exist, ascending {@code " 1 3 8"} and descending {@code " 8 3 1"} (each followed by the eos the
 * trainers add). The SFT data holds both, in equal parts, so SFT learns the format but has no reason to prefer
 * either; the preference — ascending — is a rule a program checks, which is what preference tuning must learn.
 */
public final class SortingTask {
    /** Digits per list: 3 to 5, distinct, so ascending and descending answers always differ. */
    public static final int MIN_DIGITS = 3, MAX_DIGITS = 5;

    /** What a completion is, judged against its prompt's digits. */
    public enum Verdict {
        /** Not a sorted permutation of the prompt's digits, or not ended by eos. */
        INVALID,
        /** Well formed and ascending: the preferred answer. */
        ASCENDING,
        /** Well formed and descending. */
        DESCENDING;

        public boolean valid() {
            return this != INVALID;
        }
    }

    private SortingTask() {}

    /** A random list of distinct digits, {@link #MIN_DIGITS}..{@link #MAX_DIGITS} long, in random order. */
    public static int[] randomDigits(Random rng) {
        int[] all = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        for (int i = all.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, MIN_DIGITS + rng.nextInt(MAX_DIGITS - MIN_DIGITS + 1));
    }

    public static String prompt(int[] digits) {
        return "sort " + join(digits) + ":";
    }

    /** The preferred answer: " d1 d2 ..." ascending. */
    public static String ascending(int[] digits) {
        return " " + join(sorted(digits, true));
    }

    /** The other well-formed answer: descending. */
    public static String descending(int[] digits) {
        return " " + join(sorted(digits, false));
    }

    /** Digits as text: "3 8 1". */
    public static String join(int[] digits) {
        return Arrays.stream(digits).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    /**
     * Judges a generated completion.
     *
     * @param completion the decoded completion without its eos
     * @param endedWithEos whether the model ended it with eos (an answer cut off by the length limit is invalid)
     */
    public static Verdict judge(int[] digits, String completion, boolean endedWithEos) {
        if (!endedWithEos) return Verdict.INVALID;
        if (completion.equals(ascending(digits))) return Verdict.ASCENDING;
        if (completion.equals(descending(digits))) return Verdict.DESCENDING;
        return Verdict.INVALID;
    }

    /** Reads the digits back from a prompt this class wrote. */
    public static int[] digitsOf(String prompt) {
        if (!prompt.startsWith("sort ") || !prompt.endsWith(":")) {
            throw new IllegalArgumentException("not a sorting prompt: '" + prompt + "'");
        }
        return Arrays.stream(prompt.substring(5, prompt.length() - 1).split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    private static int[] sorted(int[] digits, boolean ascending) {
        int[] s = digits.clone();
        Arrays.sort(s);
        if (!ascending) {
            for (int i = 0, j = s.length - 1; i < j; i++, j--) {
                int t = s[i];
                s[i] = s[j];
                s[j] = t;
            }
        }
        return s;
    }
}
