package dev.lathe.train.data;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.JsonlFile;
import dev.lathe.train.cli.UsageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads {@code {"prompt", "chosen", "rejected"}} JSONL rows into {@link PreferenceExample}s: the prompt and each
 * completion are tokenized separately (TRL's convention), the eos is appended to both completions, and the pair
 * is truncated to fit {@link Truncation}. Bad rows are {@link UsageException}s naming the file, line and field.
 */
public final class PreferenceData {
    /**
     * Length limits, TRL's legacy keep-end policy: when prompt + the longer completion (eos included) exceeds
     * {@code maxLength}, the prompt keeps only its last {@code maxPromptLength} tokens (the ones next to the
     * completion); then a completion still too long keeps its first tokens up to {@code maxLength} (losing its eos).
     * Unlike TRL, completions keep all the room the prompt leaves, not only maxLength − maxPromptLength. Both
     * sequences of a pair keep the same prompt.
     */
    public record Truncation(int maxLength, int maxPromptLength) {
        public Truncation {
            if (maxPromptLength < 1 || maxPromptLength >= maxLength) {
                throw new IllegalArgumentException("need 1 <= maxPromptLength < maxLength, got maxPromptLength "
                        + maxPromptLength + " and maxLength " + maxLength);
            }
        }

        /** The model's whole context, half of it at most for the prompt (TRL's 1024 / 512 ratio). */
        public static Truncation forContext(int maxPositions) {
            return new Truncation(maxPositions, maxPositions / 2);
        }

        /** Applies the policy to one pair; completions carry their eos already. */
        PreferenceExample apply(int[] prompt, int[] chosen, int[] rejected) {
            int longer = Math.max(chosen.length, rejected.length);
            if (prompt.length + longer > maxLength && prompt.length > maxPromptLength) {
                prompt = Arrays.copyOfRange(prompt, prompt.length - maxPromptLength, prompt.length);
            }
            int room = maxLength - prompt.length;
            return new PreferenceExample(prompt.length, concat(prompt, chosen, room), concat(prompt, rejected, room));
        }

        private static int[] concat(int[] prompt, int[] completion, int room) {
            int kept = Math.min(completion.length, room);
            int[] ids = Arrays.copyOf(prompt, prompt.length + kept);
            System.arraycopy(completion, 0, ids, prompt.length, kept);
            return ids;
        }
    }

    private PreferenceData() {}

    /** Every row of {@code file}, in order, and how many pairs truncation shortened; no rows is a usage error. */
    public static TokenizedRows<PreferenceExample> load(Path file, ByteLevelBpeTokenizer tokenizer, Truncation truncation)
            throws IOException {
        List<PreferenceExample> out = new ArrayList<>();
        int eos = tokenizer.eosTokenId();
        int[] truncated = {0};
        JsonlFile.forEach(file, row -> {
            TextRows.rejectConversational(row, "{\"prompt\", \"chosen\", \"rejected\"}");
            int[] prompt = tokenizer.encode(row.string("prompt"));
            String chosen = row.string("chosen"), rejected = row.string("rejected");
            if (prompt.length == 0) throw new UsageException(file + " line " + row.line() + ": \"prompt\" is empty");
            int[] c = withEos(tokenizer.encode(chosen), eos), r = withEos(tokenizer.encode(rejected), eos);
            PreferenceExample pair = truncation.apply(prompt, c, r);
            if (pair.chosen().length < prompt.length + c.length || pair.rejected().length < prompt.length + r.length) {
                truncated[0]++;
            }
            out.add(pair);
        });
        if (out.isEmpty()) throw new UsageException(file + ": no preference rows");
        return new TokenizedRows<>(out, truncated[0]);
    }

    private static int[] withEos(int[] completion, int eos) {
        int[] ids = Arrays.copyOf(completion, completion.length + 1);
        ids[completion.length] = eos;
        return ids;
    }
}
