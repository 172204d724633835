package dev.lathe.train.data;

import java.util.Arrays;

/**
 * One preference pair as token ids. {@code chosen} and {@code rejected} are whole sequences sharing their first
 * {@code promptLength} tokens (the prompt): tok(prompt) + tok(completion) + [eos], TRL's plain-text convention, or
 * for conversations the templated prompt through its generation prompt + the answer through its end of turn (the
 * end may be cut by truncation, see {@link PreferenceData.Truncation}). Log-probs are taken over the completion
 * tokens, i.e. positions promptLength.. of each sequence.
 */
public record PreferenceExample(int promptLength, int[] chosen, int[] rejected) {
    public PreferenceExample {
        if (promptLength < 1) throw new IllegalArgumentException("the prompt needs at least one token, got " + promptLength);
        checkSequence("chosen", chosen, promptLength);
        checkSequence("rejected", rejected, promptLength);
        if (!Arrays.equals(chosen, 0, promptLength, rejected, 0, promptLength)) {
            throw new IllegalArgumentException("chosen and rejected do not share their first " + promptLength + " tokens");
        }
    }

    /** Completion tokens of the chosen sequence (its eos or end of turn included): the terms of its log-prob sum. */
    public int chosenTokens() {
        return chosen.length - promptLength;
    }

    /** Completion tokens of the rejected sequence (its eos or end of turn included). */
    public int rejectedTokens() {
        return rejected.length - promptLength;
    }

    private static void checkSequence(String name, int[] ids, int promptLength) {
        if (ids.length <= promptLength) {
            throw new IllegalArgumentException(name + " has " + ids.length + " tokens, no completion after a prompt of "
                    + promptLength);
        }
    }
}
