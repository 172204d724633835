package dev.lathe.train.data;

import java.util.Locale;

/** One message of a conversation: who speaks and what they say (TRL's {@code {"role", "content"}}). */
public record ChatMessage(Role role, String content) {
    /** The roles a training conversation may use. */
    public enum Role {
        SYSTEM, USER, ASSISTANT;

        /** The lower-case name written in the data and the template ("assistant"). */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public ChatMessage {
        if (role == null || content == null) throw new IllegalArgumentException("a message needs a role and a content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
