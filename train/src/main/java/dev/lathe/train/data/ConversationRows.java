package dev.lathe.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.train.cli.JsonlFile;
import dev.lathe.train.cli.UsageException;
import java.util.ArrayList;
import java.util.List;

/**
 * TRL's conversational fields: lists of {@code {"role", "content"}} messages with a role of system, user or
 * assistant and a string content. Every problem is a {@link UsageException} naming the file, line and field.
 */
public final class ConversationRows {
    private ConversationRows() {}

    /** Whether any of {@code fields} holds a list, i.e. the row is conversational rather than plain text. */
    static boolean isConversational(JsonlFile.Row row, String... fields) {
        for (String f : fields) if (row.json().path(f).isArray()) return true;
        return false;
    }

    /** The messages of {@code field}: a non-empty list. */
    public static List<ChatMessage> messages(JsonlFile.Row row, String field) {
        JsonNode list = row.json().path(field);
        if (!list.isArray()) {
            throw error(row, "expected \"" + field + "\" to be a list of {\"role\", \"content\"} messages, got "
                    + (list.isMissingNode() ? "no \"" + field + "\"" : kind(list)));
        }
        if (list.isEmpty()) throw error(row, "\"" + field + "\" has no messages");
        List<ChatMessage> messages = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String at = "\"" + field + "\"[" + i + "]";
            JsonNode m = list.get(i);
            if (!m.isObject()) throw error(row, at + " must be a {\"role\", \"content\"} object, got " + kind(m));
            JsonNode role = m.path("role"), content = m.path("content");
            if (!role.isTextual()) throw error(row, at + ".role must be a string, got " + kind(role));
            if (!content.isTextual()) throw error(row, at + ".content must be a string, got " + kind(content));
            messages.add(new ChatMessage(role(row, at, role.asText()), content.asText()));
        }
        return messages;
    }

    /** Fails unless some message from index {@code from} on is the assistant's (the loss has something to count). */
    static void requireAssistant(JsonlFile.Row row, String field, List<ChatMessage> messages, int from) {
        for (int i = from; i < messages.size(); i++) if (messages.get(i).role() == ChatMessage.Role.ASSISTANT) return;
        throw error(row, "\"" + field + "\" has no assistant message to train on");
    }

    static UsageException error(JsonlFile.Row row, String message) {
        return new UsageException(row.file() + " line " + row.line() + ": " + message);
    }

    private static ChatMessage.Role role(JsonlFile.Row row, String at, String name) {
        for (ChatMessage.Role r : ChatMessage.Role.values()) if (r.label().equals(name)) return r;
        throw error(row, at + ".role is \"" + name + "\"; expected system, user or assistant");
    }

    private static String kind(JsonNode v) {
        return v.isMissingNode() ? "nothing" : v.getNodeType().name().toLowerCase();
    }
}
