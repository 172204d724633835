package dev.lathe.train.data;

import java.util.List;

/**
 * The tokenized rows of a data file, in file order, how many of them were cut to the maximum length, and the
 * 1-based line of the first one cut (0 when none was, or when the loader does not track lines).
 */
public record TokenizedRows<T>(List<T> rows, int truncated, int firstTruncatedLine) {
    public TokenizedRows {
        rows = List.copyOf(rows);
    }

    public TokenizedRows(List<T> rows, int truncated) {
        this(rows, truncated, 0);
    }
}
