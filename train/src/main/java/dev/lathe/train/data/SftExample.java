package dev.lathe.train.data;

import java.util.Arrays;

/**
 * One tokenized SFT row: ids = tok(prompt) + tok(completion) + [eos] (possibly truncated), and where the
 * completion starts. The loss covers ids[completionStart..]: the completion tokens and the eos, each predicted
 * from the position before it.
 */
public record SftExample(int[] ids, int completionStart) {
    public SftExample {
        if (completionStart < 1) throw new IllegalArgumentException("the prompt must have at least one token");
    }

    /** Tokens the loss counts: the completion and eos that survived truncation. */
    public int lossTokens() {
        return Math.max(0, ids.length - completionStart);
    }

    /**
     * Next-token targets of this row laid out in a padded row of {@code width}: {@code targets[p] = ids[p + 1]}
     * where ids[p + 1] is a loss token, else {@code ignore}.
     */
    public void writeTargets(int[] targets, int offset, int ignore, int width) {
        Arrays.fill(targets, offset, offset + width, ignore);
        for (int p = completionStart - 1; p < ids.length - 1; p++) targets[offset + p] = ids[p + 1];
    }
}
