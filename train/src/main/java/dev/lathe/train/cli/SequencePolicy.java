package dev.lathe.train.cli;

import dev.lathe.train.data.TokenizedRows;
import java.nio.file.Path;

/** {@code --sequence-policy}: what a training command does with rows longer than {@code --max-length}. */
enum SequencePolicy {
    /** Cut them as the data loader does (the default). */
    TRUNCATE,
    /** Stop before training with a usage error naming the file and the first such line. */
    REFUSE;

    static SequencePolicy of(Args args) {
        String v = args.string("sequence-policy", "truncate");
        return switch (v) {
            case "truncate" -> TRUNCATE;
            case "refuse" -> REFUSE;
            default -> throw new UsageException("--sequence-policy must be truncate or refuse, got '" + v + "'");
        };
    }

    /** Under REFUSE, a usage error when any row of {@code data} was longer than {@code maxLength} tokens. */
    void check(TokenizedRows<?> rows, Path data, int maxLength) {
        if (this == REFUSE && rows.truncated() > 0) {
            throw new UsageException(data + " line " + rows.firstTruncatedLine() + ": longer than --max-length "
                    + maxLength + " tokens (" + rows.truncated() + " rows are; --sequence-policy refuse)");
        }
    }
}
