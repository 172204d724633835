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
 * Reads {@code {"prompt", "chosen", "rejected"}} JSONL rows into {@link PreferenceExample}s. Plain text: the
 * prompt and each completion are tokenized separately (TRL's convention) and the eos is appended to both
 * completions. Conversational (lists of messages, the prompt optional): the prompt is rendered with the chat
 * template and its generation prompt, each completion from its assistant content through its end of turn. The
 * pair is then truncated to fit {@link Truncation}. Bad rows are {@link UsageException}s naming the file, line
 * and field.
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

        /** Applies the policy to one pair; completions carry their eos (or end of turn) already. */
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

    /**
     * Every row of {@code file} with the model's own chat template when its directory ships one, else ChatML, in
     * order, and how many pairs truncation shortened.
     */
    public static TokenizedRows<PreferenceExample> load(Path file, ByteLevelBpeTokenizer tokenizer, Truncation truncation)
            throws IOException {
        return load(file, tokenizer, ChatTokenizer.forTokenizer(tokenizer), truncation);
    }

    /** Every row of {@code file}, conversations rendered with {@code template}; no rows is a usage error. */
    public static TokenizedRows<PreferenceExample> load(Path file, ByteLevelBpeTokenizer tokenizer, ChatTemplate template,
            Truncation truncation) throws IOException {
        return load(file, tokenizer, new ChatTokenizer(template, tokenizer), truncation);
    }

    private static TokenizedRows<PreferenceExample> load(Path file, ByteLevelBpeTokenizer tokenizer, ChatTokenizer chat,
            Truncation truncation) throws IOException {
        List<PreferenceExample> out = new ArrayList<>();
        int[] truncated = {0, 0}; // count, first line
        JsonlFile.forEach(file, row -> {
            Pair ids = ConversationRows.isConversational(row, "prompt", "chosen", "rejected")
                    ? conversational(row, chat) : plainText(row, tokenizer);
            PreferenceExample pair = truncation.apply(ids.prompt(), ids.chosen(), ids.rejected());
            if (pair.chosen().length < ids.prompt().length + ids.chosen().length
                    || pair.rejected().length < ids.prompt().length + ids.rejected().length) {
                if (truncated[0]++ == 0) truncated[1] = row.line();
            }
            out.add(pair);
        });
        if (out.isEmpty()) throw new UsageException(file + ": no preference rows");
        return new TokenizedRows<>(out, truncated[0], truncated[1]);
    }

    /** A row's prompt and completions as ids before truncation. */
    private record Pair(int[] prompt, int[] chosen, int[] rejected) {}

    /** tok(prompt); tok(chosen) + [eos]; tok(rejected) + [eos]. */
    private static Pair plainText(JsonlFile.Row row, ByteLevelBpeTokenizer tokenizer) {
        int eos = tokenizer.eosTokenId();
        int[] prompt = tokenizer.encode(row.string("prompt"));
        String chosen = row.string("chosen"), rejected = row.string("rejected");
        if (prompt.length == 0) throw new UsageException(row.file() + " line " + row.line() + ": \"prompt\" is empty");
        return new Pair(prompt, withEos(tokenizer.encode(chosen), eos), withEos(tokenizer.encode(rejected), eos));
    }

    /**
     * The prompt messages and the generation prompt; each completion from its assistant content to its end of
     * turn, no eos (TRL's conversational format). Without a "prompt", chosen and rejected are whole
     * conversations whose shared leading messages are the prompt (TRL's implicit prompt).
     */
    private static Pair conversational(JsonlFile.Row row, ChatTokenizer chat) {
        List<ChatMessage> prompt, chosen, rejected;
        if (row.json().has("prompt")) {
            prompt = ConversationRows.messages(row, "prompt");
            chosen = ConversationRows.messages(row, "chosen");
            rejected = ConversationRows.messages(row, "rejected");
        } else {
            List<ChatMessage> c = ConversationRows.messages(row, "chosen"), r = ConversationRows.messages(row, "rejected");
            int shared = 0;
            while (shared < c.size() && shared < r.size() && c.get(shared).equals(r.get(shared))) shared++;
            if (shared == 0) {
                throw ConversationRows.error(row, "no \"prompt\", and \"chosen\" and \"rejected\" share no leading "
                        + "messages to use as one");
            }
            if (shared == c.size() || shared == r.size()) {
                throw ConversationRows.error(row, "no \"prompt\", and \"chosen\" or \"rejected\" has no messages "
                        + "after the ones they share");
            }
            prompt = c.subList(0, shared);
            chosen = c.subList(shared, c.size());
            rejected = r.subList(shared, r.size());
        }
        requireAnswer(row, "chosen", chosen);
        requireAnswer(row, "rejected", rejected);
        return new Pair(chat.prompt(prompt), chat.continuation(prompt, chosen), chat.continuation(prompt, rejected));
    }

    /** A completion follows the generation prompt, so it starts with the assistant's message. */
    private static void requireAnswer(JsonlFile.Row row, String field, List<ChatMessage> completion) {
        ChatMessage.Role first = completion.get(0).role();
        if (first != ChatMessage.Role.ASSISTANT) {
            throw ConversationRows.error(row, "\"" + field + "\" must start with an assistant message, got a "
                    + first.label() + " message");
        }
    }

    private static int[] withEos(int[] completion, int eos) {
        int[] ids = Arrays.copyOf(completion, completion.length + 1);
        ids[completion.length] = eos;
        return ids;
    }
}
