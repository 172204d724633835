package dev.lathe.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ChatML rendering with GPT-2's tokenizer: the text, the piece-wise token boundaries and the assistant mask. */
class ChatTokenizerTest {
    private static final ByteLevelBpeTokenizer TOK = Gpt2Tokenizer.get();
    private static final ChatTokenizer CHAT = new ChatTokenizer(ChatTemplate.chatMl(), TOK);

    private static final List<ChatMessage> TWO_TURNS = List.of(
            ChatMessage.system("Be brief."),
            ChatMessage.user("Hi there"),
            ChatMessage.assistant("Hello! How can I help?"),
            ChatMessage.user("Say 日本 twice"),
            ChatMessage.assistant(" 日本 日本 🙂\n"));

    @Test
    void chatMlRendersEveryMessageAndTheIdsDecodeBackToTheText() {
        String want = "<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\nHi there<|im_end|>\n"
                + "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
                + "<|im_start|>user\nSay 日本 twice<|im_end|>\n"
                + "<|im_start|>assistant\n 日本 日本 🙂\n<|im_end|>\n";
        assertEquals(want, CHAT.render(TWO_TURNS));
        assertEquals(want, TOK.decode(CHAT.conversation(TWO_TURNS, 0).ids()));
        // GPT-2 has no ChatML tokens: the markers are ordinary BPE pieces.
        assertTrue(TOK.encode("<|im_start|>").length > 1);
    }

    @Test
    void theMaskCoversExactlyTheAssistantContentsAndTheirEndOfTurn() {
        ChatTokenizer.Tokens t = CHAT.conversation(TWO_TURNS, 0);
        assertEquals(List.of("Hello! How can I help?<|im_end|>", " 日本 日本 🙂\n<|im_end|>"), trainedSpans(t));
        // Each span is the content and the end of turn tokenized apart, and the newline after it is not trained.
        for (ChatMessage m : List.of(TWO_TURNS.get(2), TWO_TURNS.get(4))) {
            int[] span = concat(TOK.encode(m.content()), TOK.encode("<|im_end|>"));
            int at = indexOf(t.ids(), span);
            assertTrue(at > 0, "span of " + m.content());
            for (int i = 0; i < span.length; i++) assertTrue(t.trained()[at + i]);
            assertFalse(t.trained()[at - 1]);
            assertFalse(t.trained()[at + span.length]);
            assertEquals("\n", TOK.decode(new int[] {t.ids()[at + span.length]}));
        }
    }

    @Test
    void trainingFromALaterMessageLeavesEarlierAssistantTurnsOut() {
        ChatTokenizer.Tokens t = CHAT.conversation(TWO_TURNS, 3);
        assertArrayEquals(CHAT.conversation(TWO_TURNS, 0).ids(), t.ids());
        assertEquals(List.of(" 日本 日本 🙂\n<|im_end|>"), trainedSpans(t));
        assertEquals(List.of(), trainedSpans(CHAT.conversation(TWO_TURNS.subList(0, 2), 0)));
    }

    @Test
    void aPromptEndsWithTheGenerationPromptAndAnAnswerWithItsEndOfTurn() {
        List<ChatMessage> prompt = TWO_TURNS.subList(0, 2);
        assertEquals(CHAT.render(prompt) + "<|im_start|>assistant\n", TOK.decode(CHAT.prompt(prompt)));
        assertEquals("Hello! How can I help?<|im_end|>", TOK.decode(CHAT.continuation(TWO_TURNS.subList(0, 2), List.of(TWO_TURNS.get(2)))));
        assertEquals("Hello! How can I help?<|im_end|>\n<|im_start|>user\nSay 日本 twice<|im_end|>\n"
                + "<|im_start|>assistant\n 日本 日本 🙂\n<|im_end|>", TOK.decode(CHAT.continuation(TWO_TURNS.subList(0, 2), TWO_TURNS.subList(2, 5))));
        // Prompt + answer is the whole conversation's ids less its final newline.
        int[] whole = CHAT.conversation(TWO_TURNS.subList(0, 3), 0).ids();
        assertArrayEquals(Arrays.copyOf(whole, whole.length - 1),
                concat(CHAT.prompt(prompt), CHAT.continuation(TWO_TURNS.subList(0, 2), List.of(TWO_TURNS.get(2)))));
        assertThrows(IllegalArgumentException.class, () -> CHAT.continuation(TWO_TURNS.subList(0, 1), List.of(TWO_TURNS.get(1))));
    }

    /** The decoded text of every maximal run of trained tokens. */
    static List<String> trainedSpans(ChatTokenizer.Tokens t) {
        return trainedSpans(t.ids(), t.trained());
    }

    static List<String> trainedSpans(int[] ids, boolean[] trained) {
        List<String> spans = new ArrayList<>();
        for (int i = 0; i < ids.length; ) {
            if (!trained[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < ids.length && trained[j]) j++;
            spans.add(TOK.decode(Arrays.copyOfRange(ids, i, j)));
            i = j;
        }
        return spans;
    }

    private static int indexOf(int[] ids, int[] span) {
        for (int i = 0; i + span.length <= ids.length; i++) {
            if (Arrays.equals(ids, i, i + span.length, span, 0, span.length)) return i;
        }
        return -1;
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
