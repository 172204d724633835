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
 * SFT JSONL rows in TRL's shapes, truncated to {@code maxLength} by keeping the start:
 * <ul>
 *   <li>language modelling {@code {"text"}}: ids = tok(text) + [eos], the loss on every token after the first
 *       (TRL's language-modeling format, used for pretraining);</li>
 *   <li>plain text {@code {"prompt", "completion"}}: ids = tok(prompt) + tok(completion) + [eos], the loss on the
 *       completion and eos;</li>
 *   <li>conversational {@code {"messages": [...]}}: the whole conversation through the chat template, the loss on
 *       the assistant tokens (TRL's assistant-only loss); the template's end of turn closes it, no eos is added;</li>
 *   <li>conversational {@code {"prompt": [...], "completion": [...]}}: prompt and completion messages rendered as
 *       one conversation, the loss on the completion's assistant tokens.</li>
 * </ul>
 */
public final class SftData {
    private SftData() {}

    /**
     * Every row of {@code file}, conversations through the model's own chat template when its directory ships one,
     * else ChatML; bad rows are usage errors naming the file, line and field.
     */
    public static TokenizedRows<SftExample> load(Path file, ByteLevelBpeTokenizer tok, int maxLength) throws IOException {
        return load(file, tok, ChatTokenizer.forTokenizer(tok), maxLength);
    }

    /** Every row of {@code file}, conversations rendered with {@code template}. */
    public static TokenizedRows<SftExample> load(Path file, ByteLevelBpeTokenizer tok, ChatTemplate template, int maxLength)
            throws IOException {
        return load(file, tok, new ChatTokenizer(template, tok), maxLength);
    }

    private static TokenizedRows<SftExample> load(Path file, ByteLevelBpeTokenizer tok, ChatTokenizer chat, int maxLength)
            throws IOException {
        if (maxLength < 2) throw new IllegalArgumentException("max length must be at least 2, got " + maxLength);
        List<SftExample> rows = new ArrayList<>();
        int[] truncated = {0, 0}; // count, first line
        JsonlFile.forEach(file, row -> {
            SftExample example;
            if (row.json().has("text") && !row.json().has("prompt")) {
                example = text(row, tok);
            } else if (row.json().has("messages")) {
                example = messages(row, chat);
            } else if (ConversationRows.isConversational(row, "prompt", "completion")) {
                example = promptCompletionMessages(row, chat);
            } else {
                int[] prompt = tok.encode(row.string("prompt"));
                example = new SftExample(TextRows.promptResponseEos(row, prompt, row.string("completion"), tok), prompt.length);
            }
            if (example.ids().length > maxLength && truncated[0]++ == 0) truncated[1] = row.line();
            rows.add(example.truncated(maxLength));
        });
        return new TokenizedRows<>(rows, truncated[0], truncated[1]);
    }

    private static SftExample text(JsonlFile.Row row, ByteLevelBpeTokenizer tok) {
        int[] text = tok.encode(row.string("text"));
        if (text.length == 0) throw new UsageException(row.file() + " line " + row.line() + ": empty \"text\"");
        int[] ids = Arrays.copyOf(text, text.length + 1);
        ids[text.length] = tok.eosTokenId();
        return new SftExample(ids, 1);
    }

    private static SftExample messages(JsonlFile.Row row, ChatTokenizer chat) {
        List<ChatMessage> messages = ConversationRows.messages(row, "messages");
        ConversationRows.requireAssistant(row, "messages", messages, 0);
        ChatTokenizer.Tokens t = chat.conversation(messages, 0);
        return new SftExample(t.ids(), t.trained());
    }

    private static SftExample promptCompletionMessages(JsonlFile.Row row, ChatTokenizer chat) {
        List<ChatMessage> prompt = ConversationRows.messages(row, "prompt");
        List<ChatMessage> completion = ConversationRows.messages(row, "completion");
        ConversationRows.requireAssistant(row, "completion", completion, 0);
        List<ChatMessage> all = new ArrayList<>(prompt);
        all.addAll(completion);
        ChatTokenizer.Tokens t = chat.conversation(all, prompt.size());
        return new SftExample(t.ids(), t.trained());
    }
}
