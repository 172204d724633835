package dev.lathe.train.data;

/**
 * How a conversation becomes text: each message renders as {@code header(role) + content + endOfTurn() +
 * separator()}, and a prompt awaiting the model's answer ends with {@link #generationPrompt()}. The assistant's
 * content and its {@code endOfTurn} are what the model learns to produce; headers and separators never are.
 */
public interface ChatTemplate {
    /** Text before a message's content, e.g. {@code <|im_start|>user\n}. */
    String header(ChatMessage.Role role);

    /** Text closing a message's content; trained after assistant contents, so the model learns to stop. */
    String endOfTurn();

    /** Text between a closed message and the next header; never trained. */
    String separator();

    /** What a prompt ends with when the assistant speaks next: the assistant's header. */
    default String generationPrompt() {
        return header(ChatMessage.Role.ASSISTANT);
    }

    /** ChatML, the default: {@code <|im_start|>{role}\n{content}<|im_end|>\n}. */
    static ChatTemplate chatMl() {
        return ChatMl.INSTANCE;
    }

    /** ChatML's pieces. */
    enum ChatMl implements ChatTemplate {
        INSTANCE;

        @Override
        public String header(ChatMessage.Role role) {
            return "<|im_start|>" + role.label() + "\n";
        }

        @Override
        public String endOfTurn() {
            return "<|im_end|>";
        }

        @Override
        public String separator() {
            return "\n";
        }
    }
}
