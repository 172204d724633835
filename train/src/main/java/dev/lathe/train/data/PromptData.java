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
 * Prompt rows for online RL (TRL's prompt-only datasets): {@code {"prompt": "text"}} tokenized as is, or
 * {@code {"prompt": [{"role","content"}...]}} rendered with the chat template and its generation prompt, so the
 * model answers as the assistant. An optional string {@code "answer"} is kept for verifiable rewards. Prompts
 * longer than {@code maxPromptLength} keep their last tokens (TRL's GRPO keeps {@code prompt_ids[-max:]}).
 */
public final class PromptData {
    private PromptData() {}

    /**
     * Every row of {@code file}, conversational prompts through the model's own chat template when its directory
     * ships one, else ChatML; with {@code needAnswer}, a row without a string
     * "answer" is a usage error naming the file and line.
     */
    public static TokenizedRows<PromptExample> load(Path file, ByteLevelBpeTokenizer tok, int maxPromptLength,
                                                    boolean needAnswer) throws IOException {
        if (maxPromptLength < 1) throw new IllegalArgumentException("max prompt length must be >= 1, got " + maxPromptLength);
        ChatTokenizer chat = ChatTokenizer.forTokenizer(tok);
        List<PromptExample> rows = new ArrayList<>();
        int[] truncated = {0};
        JsonlFile.forEach(file, row -> {
            int[] ids = ConversationRows.isConversational(row, "prompt")
                    ? chat.prompt(ConversationRows.messages(row, "prompt"))
                    : tok.encode(row.string("prompt"));
            if (ids.length == 0) throw ConversationRows.error(row, "\"prompt\" has no tokens");
            if (ids.length > maxPromptLength) {
                truncated[0]++;
                ids = Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
            }
            String answer = needAnswer || row.json().has("answer") ? row.string("answer") : null;
            rows.add(new PromptExample(ids, answer));
        });
        if (rows.isEmpty()) throw new UsageException(file + ": no prompts");
        return new TokenizedRows<>(rows, truncated[0]);
    }
}
