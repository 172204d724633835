package dev.lathe.train.data;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.JsonlFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SFT JSONL rows {@code {"prompt","completion"}} tokenized with TRL's plain-text convention:
 * ids = tok(prompt) + tok(completion) + [eos], truncated to {@code maxLength} by keeping the start.
 */
public final class SftData {
    private SftData() {}

    /** Every row of {@code file}; bad rows are usage errors naming the file, line and field. */
    public static TokenizedRows<SftExample> load(Path file, ByteLevelBpeTokenizer tok, int maxLength) throws IOException {
        if (maxLength < 2) throw new IllegalArgumentException("max length must be at least 2, got " + maxLength);
        List<SftExample> rows = new ArrayList<>();
        int[] truncated = {0};
        JsonlFile.forEach(file, row -> {
            TextRows.rejectConversational(row, "{\"prompt\", \"completion\"}");
            int[] prompt = tok.encode(row.string("prompt"));
            int[] ids = TextRows.promptResponseEos(row, prompt, row.string("completion"), tok);
            if (ids.length > maxLength) {
                ids = Arrays.copyOf(ids, maxLength);
                truncated[0]++;
            }
            rows.add(new SftExample(ids, Math.min(prompt.length, maxLength)));
        });
        return new TokenizedRows<>(rows, truncated[0]);
    }
}
