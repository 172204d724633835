package dev.lathe.train.data;

import dev.lathe.models.template.ModelChatTemplate;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.models.tokenizer.Encoding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Conversations through a model's own Jinja chat template, as {@code transformers} tokenizes them: the whole
 * rendered text is encoded at once. The trained tokens are found in the text: for ChatML templates (Qwen's and
 * others') each assistant turn runs from just after an {@code <|im_start|>assistant\n} header through its
 * {@code <|im_end|>}, and a token is trained when it covers any character of such a turn (the k-th turn being
 * the k-th assistant message).
 */
final class RenderedChat {
    static final String ASSISTANT_HEADER = "<|im_start|>assistant\n", END_OF_TURN = "<|im_end|>";

    private final ModelChatTemplate template;
    private final ByteLevelBpeTokenizer tokenizer;

    RenderedChat(ModelChatTemplate template, ByteLevelBpeTokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
    }

    String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return template.render(maps(messages), addGenerationPrompt, Map.of());
    }

    ChatTokenizer.Tokens conversation(List<ChatMessage> messages, int trainFrom) {
        String text = render(messages, false);
        List<int[]> turns = assistantTurns(text, 0);
        int assistants = 0;
        for (ChatMessage m : messages) if (m.role() == ChatMessage.Role.ASSISTANT) assistants++;
        if (turns.size() != assistants) {
            throw new IllegalArgumentException("the chat template rendered " + turns.size() + " assistant turns ("
                    + ASSISTANT_HEADER.strip() + " ... " + END_OF_TURN + ") for " + assistants + " assistant messages");
        }
        List<int[]> trained = new ArrayList<>();
        int k = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).role() != ChatMessage.Role.ASSISTANT) continue;
            if (i >= trainFrom) trained.add(turns.get(k));
            k++;
        }
        Encoding e = tokenizer.encodeWithOffsets(text);
        boolean[] mask = new boolean[e.ids().length];
        for (int t = 0; t < mask.length; t++) {
            for (int[] span : trained) if (e.overlaps(t, span[0], span[1])) mask[t] = true;
        }
        return new ChatTokenizer.Tokens(e.ids(), mask);
    }

    int[] prompt(List<ChatMessage> messages) {
        return tokenizer.encode(render(messages, true));
    }

    /**
     * The text that follows the generation prompt of {@code prompt} when {@code prompt + turns} is rendered
     * whole, through the end of the last assistant turn (TRL's conversational completions).
     */
    int[] continuation(List<ChatMessage> prompt, List<ChatMessage> turns) {
        List<ChatMessage> all = new ArrayList<>(prompt);
        all.addAll(turns);
        String whole = render(all, false), head = render(prompt, true);
        if (!whole.startsWith(head)) {
            throw new IllegalArgumentException("the chat template renders the prompt differently once the answer follows");
        }
        List<int[]> spans = assistantTurns(whole, head.length() - ASSISTANT_HEADER.length());
        if (spans.isEmpty()) throw new IllegalArgumentException("the rendered answer has no assistant turn");
        return tokenizer.encode(whole.substring(head.length(), spans.get(spans.size() - 1)[1]));
    }

    /** The {@code [start, end)} character ranges of the assistant turns in {@code text} from {@code from} on. */
    static List<int[]> assistantTurns(String text, int from) {
        List<int[]> spans = new ArrayList<>();
        for (int h = text.indexOf(ASSISTANT_HEADER, Math.max(0, from)); h >= 0; h = text.indexOf(ASSISTANT_HEADER, h + 1)) {
            int start = h + ASSISTANT_HEADER.length();
            int end = text.indexOf(END_OF_TURN, start);
            spans.add(new int[] {start, end < 0 ? text.length() : end + END_OF_TURN.length()});
        }
        return spans;
    }

    private static List<Map<String, Object>> maps(List<ChatMessage> messages) {
        List<Map<String, Object>> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) out.add(Map.of("role", m.role().label(), "content", m.content()));
        return out;
    }
}
