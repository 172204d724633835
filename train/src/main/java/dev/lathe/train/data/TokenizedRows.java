package dev.lathe.train.data;

import java.util.List;

/** The tokenized rows of a data file, in file order, and how many of them were cut to the maximum length. */
public record TokenizedRows<T>(List<T> rows, int truncated) {
    public TokenizedRows {
        rows = List.copyOf(rows);
    }
}
