package dev.lathe.train.data;

import dev.lathe.models.template.ModelChatTemplate;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Conversations as token ids through a {@link ChatTemplate}. Lathe defines the token boundaries piece by piece:
 * every fixed template piece (header, end of turn, separator) and every message content is tokenized on its own
 * and the ids are concatenated, so no token straddles a content and the template, and the assistant-token mask
 * is exact. A tokenizer that has {@code <|im_start|>} and {@code <|im_end|>} as added tokens gives them one id
 * each; one without them (GPT-2) splits them into ordinary BPE tokens, which still decode to the same text.
 * <p>
 * A model directory that ships its own Jinja chat template ({@link #forTokenizer}) is rendered by it instead and
 * tokenized whole, as {@code transformers} does ({@link RenderedChat}).
 */
public final class ChatTokenizer {
    /** Token ids and, per id, whether the model is trained to produce it. */
    public record Tokens(int[] ids, boolean[] trained) {
        public Tokens {
            if (ids.length != trained.length) throw new IllegalArgumentException("one mask entry per token");
        }
    }

    /** A run of text tokenized on its own. */
    private record Piece(String text, boolean trained) {}

    private final ChatTemplate template;
    private final ByteLevelBpeTokenizer tokenizer;
    /** The model's own template, or null: the piece-wise {@code template} is used. */
    private final RenderedChat rendered;

    public ChatTokenizer(ChatTemplate template, ByteLevelBpeTokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.rendered = null;
    }

    private ChatTokenizer(ModelChatTemplate model, ByteLevelBpeTokenizer tokenizer) {
        this.template = null;
        this.tokenizer = tokenizer;
        this.rendered = new RenderedChat(model, tokenizer);
    }

    /** The chat template the tokenizer's model directory ships (tokenizer_config.json), else ChatML. */
    public static ChatTokenizer forTokenizer(ByteLevelBpeTokenizer tokenizer) {
        ModelChatTemplate model = ModelChatTemplate.of(tokenizer.config());
        return model != null ? new ChatTokenizer(model, tokenizer) : new ChatTokenizer(ChatTemplate.chatMl(), tokenizer);
    }

    /** The text of {@code messages} rendered whole (what {@link #conversation} tokenizes). */
    public String render(List<ChatMessage> messages) {
        if (rendered != null) return rendered.render(messages, false);
        StringBuilder text = new StringBuilder();
        for (Piece p : pieces(messages, 0)) text.append(p.text());
        return text.toString();
    }

    /**
     * {@code messages} rendered whole; trained are the contents of the assistant messages from index
     * {@code trainFrom} on and their end of turn (TRL's assistant-only loss).
     */
    public Tokens conversation(List<ChatMessage> messages, int trainFrom) {
        if (rendered != null) return rendered.conversation(messages, trainFrom);
        return tokenize(pieces(messages, trainFrom));
    }

    /** {@code messages} rendered whole, then the generation prompt: where the assistant's answer starts. */
    public int[] prompt(List<ChatMessage> messages) {
        if (rendered != null) return rendered.prompt(messages);
        List<Piece> pieces = pieces(messages, messages.size());
        pieces.add(new Piece(template.generationPrompt(), false));
        return tokenize(pieces).ids();
    }

    /**
     * The text following the generation prompt of {@code prompt}: {@code turns} rendered without the first
     * header (the generation prompt already holds it, so the first turn must be the assistant's) and without the
     * final separator — an answer ends with its end of turn. No eos is added.
     */
    public int[] continuation(List<ChatMessage> prompt, List<ChatMessage> turns) {
        if (turns.isEmpty() || turns.get(0).role() != ChatMessage.Role.ASSISTANT) {
            throw new IllegalArgumentException("a continuation starts with an assistant message");
        }
        if (rendered != null) return rendered.continuation(prompt, turns);
        List<Piece> pieces = pieces(turns, 0);
        return tokenize(pieces.subList(1, pieces.size() - 1)).ids();
    }

    /** header, content, end of turn and separator of every message. */
    private List<Piece> pieces(List<ChatMessage> messages, int trainFrom) {
        List<Piece> pieces = new ArrayList<>(4 * messages.size() + 1);
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            boolean trained = i >= trainFrom && m.role() == ChatMessage.Role.ASSISTANT;
            pieces.add(new Piece(template.header(m.role()), false));
            pieces.add(new Piece(m.content(), trained));
            pieces.add(new Piece(template.endOfTurn(), trained));
            pieces.add(new Piece(template.separator(), false));
        }
        return pieces;
    }

    private Tokens tokenize(List<Piece> pieces) {
        List<int[]> parts = new ArrayList<>(pieces.size());
        int n = 0;
        for (Piece p : pieces) {
            int[] part = tokenizer.encode(p.text());
            parts.add(part);
            n += part.length;
        }
        int[] ids = new int[n];
        boolean[] trained = new boolean[n];
        int at = 0;
        for (int i = 0; i < pieces.size(); i++) {
            int[] part = parts.get(i);
            System.arraycopy(part, 0, ids, at, part.length);
            Arrays.fill(trained, at, at + part.length, pieces.get(i).trained());
            at += part.length;
        }
        return new Tokens(ids, trained);
    }
}
