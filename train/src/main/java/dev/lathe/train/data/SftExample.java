package dev.lathe.train.data;

import java.util.Arrays;

/**
 * One tokenized SFT row: its ids and, per id, whether the loss counts it ({@code lossMask[i]}: ids[i] is
 * predicted from position i − 1). Plain-text rows count the completion and eos; conversational rows count
 * the assistant tokens (see {@link ChatTokenizer}). The first token has nothing before it and is never counted.
 */
public record SftExample(int[] ids, boolean[] lossMask) {
    public SftExample {
        if (ids.length < 1) throw new IllegalArgumentException("an SFT row needs at least one token");
        if (lossMask.length != ids.length) {
            throw new IllegalArgumentException("loss mask of " + lossMask.length + " entries for " + ids.length + " tokens");
        }
        if (lossMask[0]) throw new IllegalArgumentException("the first token has no position to be predicted from");
    }

    /** A prompt-completion row: the loss covers ids[completionStart..]. */
    public SftExample(int[] ids, int completionStart) {
        this(ids, fromOn(ids.length, completionStart));
    }

    /** The row cut to its first {@code maxLength} tokens (the mask with it). */
    public SftExample truncated(int maxLength) {
        if (ids.length <= maxLength) return this;
        return new SftExample(Arrays.copyOf(ids, maxLength), Arrays.copyOf(lossMask, maxLength));
    }

    /** Tokens the loss counts. */
    public int lossTokens() {
        int n = 0;
        for (boolean counted : lossMask) if (counted) n++;
        return n;
    }

    /**
     * Next-token targets of this row laid out in a padded row of {@code width}: {@code targets[p] = ids[p + 1]}
     * where ids[p + 1] is a loss token, else {@code ignore}.
     */
    public void writeTargets(int[] targets, int offset, int ignore, int width) {
        Arrays.fill(targets, offset, offset + width, ignore);
        for (int p = 0; p < ids.length - 1; p++) if (lossMask[p + 1]) targets[offset + p] = ids[p + 1];
    }

    private static boolean[] fromOn(int length, int completionStart) {
        if (completionStart < 1) throw new IllegalArgumentException("the prompt must have at least one token");
        boolean[] mask = new boolean[length];
        Arrays.fill(mask, Math.min(completionStart, length), length, true);
        return mask;
    }
}
