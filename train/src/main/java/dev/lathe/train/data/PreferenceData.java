package dev.lathe.train.data;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.JsonlFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Preference JSONL rows {@code {"prompt","chosen","rejected"}}: each side is tok(prompt) + tok(response) + [eos],
 * truncated to {@code maxLength} by keeping the start.
 */
public final class PreferenceData {
    private PreferenceData() {}

    /** Every row of {@code file}; bad rows are usage errors naming the file, line and field. */
    public static TokenizedRows<PreferenceExample> load(Path file, ByteLevelBpeTokenizer tok, int maxLength)
            throws IOException {
        if (maxLength < 1) throw new IllegalArgumentException("max length must be at least 1, got " + maxLength);
        List<PreferenceExample> rows = new ArrayList<>();
        int[] truncated = {0};
        JsonlFile.forEach(file, row -> {
            TextRows.rejectConversational(row, "{\"prompt\", \"chosen\", \"rejected\"}");
            int[] prompt = tok.encode(row.string("prompt"));
            int[] chosen = TextRows.promptResponseEos(row, prompt, row.string("chosen"), tok);
            int[] rejected = TextRows.promptResponseEos(row, prompt, row.string("rejected"), tok);
            if (chosen.length > maxLength || rejected.length > maxLength) truncated[0]++;
            rows.add(new PreferenceExample(Arrays.copyOf(chosen, Math.min(chosen.length, maxLength)),
                    Arrays.copyOf(rejected, Math.min(rejected.length, maxLength))));
        });
        return new TokenizedRows<>(rows, truncated[0]);
    }
}
