package dev.lathe.models.tokenizer;

/**
 * Token ids with the character range of the text each came from: token {@code i} covers
 * {@code text[starts[i], ends[i])} (Hugging Face's offsets, in UTF-16 chars). Tokens of a piece that
 * normalization rewrote cover the original characters they came from.
 */
public record Encoding(int[] ids, int[] starts, int[] ends) {
    public Encoding {
        if (ids.length != starts.length || ids.length != ends.length) {
            throw new IllegalArgumentException("one start and one end per id");
        }
    }

    /** Whether token {@code i} covers any character of {@code [from, to)}. */
    public boolean overlaps(int i, int from, int to) {
        return starts[i] < to && ends[i] > from;
    }
}
