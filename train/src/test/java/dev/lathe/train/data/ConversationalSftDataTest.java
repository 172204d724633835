package dev.lathe.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's conversational SFT rows through {@link SftData}: ids, assistant-only loss, truncation and errors. */
class ConversationalSftDataTest {
    private static final ByteLevelBpeTokenizer TOK = Gpt2Tokenizer.get();
    private static final int IGNORE = -100;

    @TempDir
    Path dir;

    @Test
    void messagesRowsTrainOnTheAssistantTokensWithoutAnExtraEos() throws IOException {
        Path file = write("""
                {"messages": [{"role": "system", "content": "You count."}, {"role": "user", "content": "1 2"}, \
                {"role": "assistant", "content": " 3"}, {"role": "user", "content": "4"}, {"role": "assistant", "content": "5 6"}]}
                """);
        SftExample row = SftData.load(file, TOK, 256).rows().get(0);
        String text = "<|im_start|>system\nYou count.<|im_end|>\n<|im_start|>user\n1 2<|im_end|>\n"
                + "<|im_start|>assistant\n 3<|im_end|>\n<|im_start|>user\n4<|im_end|>\n<|im_start|>assistant\n5 6<|im_end|>\n";
        assertEquals(text, TOK.decode(row.ids()));
        assertTrue(row.ids()[row.ids().length - 1] != TOK.eosTokenId(), "no eos after the template's end of turn");
        assertEquals(List.of(" 3<|im_end|>", "5 6<|im_end|>"), ChatTokenizerTest.trainedSpans(row.ids(), row.lossMask()));

        int width = row.ids().length + 3;
        int[] targets = new int[width];
        row.writeTargets(targets, 0, IGNORE, width);
        int counted = 0;
        for (int p = 0; p < width; p++) {
            boolean loss = p + 1 < row.ids().length && row.lossMask()[p + 1];
            assertEquals(loss ? row.ids()[p + 1] : IGNORE, targets[p], "position " + p);
            if (loss) counted++;
        }
        assertEquals(counted, row.lossTokens());
    }

    @Test
    void conversationalPromptCompletionTrainsOnlyTheCompletionsAssistantTokens() throws IOException {
        Path file = write("""
                {"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, \
                {"role": "user", "content": "Capital of France?"}], "completion": [{"role": "assistant", "content": "Paris."}]}
                """);
        SftExample row = SftData.load(file, TOK, 256).rows().get(0);
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\n"
                + "Capital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n", TOK.decode(row.ids()));
        assertEquals(List.of("Paris.<|im_end|>"), ChatTokenizerTest.trainedSpans(row.ids(), row.lossMask()));
    }

    @Test
    void longConversationsKeepTheirStartAndTheirMask() throws IOException {
        Path file = write("""
                {"messages": [{"role": "user", "content": "hello"}, {"role": "assistant", "content": " the river is blue and quiet"}]}
                """);
        SftExample whole = SftData.load(file, TOK, 256).rows().get(0);
        int cut = whole.ids().length - 6;
        TokenizedRows<SftExample> rows = SftData.load(file, TOK, cut);
        assertEquals(1, rows.truncated());
        SftExample row = rows.rows().get(0);
        assertArrayEquals(Arrays.copyOf(whole.ids(), cut), row.ids());
        assertArrayEquals(Arrays.copyOf(whole.lossMask(), cut), row.lossMask());
        assertTrue(row.lossTokens() > 0 && row.lossTokens() < whole.lossTokens());
    }

    @Test
    void badMessagesNameTheFileLineAndField() throws IOException {
        String ok = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n";
        assertMessage(write(ok + "\n{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"tool\", \"content\": \"b\"}]}\n"),
                "line 3", "\"messages\"[1].role", "\"tool\"");
        assertMessage(write("{\"messages\": [{\"role\": \"user\", \"content\": 7}]}\n"),
                "line 1", "\"messages\"[0].content", "string", "number");
        assertMessage(write(ok + "{\"messages\": []}\n"), "line 2", "\"messages\" has no messages");
        assertMessage(write("{\"messages\": \"hi\"}\n"), "line 1", "\"messages\"", "list");
        assertMessage(write("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n"),
                "line 1", "\"messages\"", "no assistant message");
        assertMessage(write("{\"prompt\": [{\"role\": \"user\", \"content\": \"a\"}], \"completion\": \"b\"}\n"),
                "line 1", "\"completion\"", "list");
        assertMessage(write("{\"prompt\": [{\"role\": \"user\", \"content\": \"a\"}], \"completion\": [{\"content\": \"b\"}]}\n"),
                "line 1", "\"completion\"[0].role");
    }

    private void assertMessage(Path file, String... parts) {
        UsageException e = assertThrows(UsageException.class, () -> SftData.load(file, TOK, 256));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
    }

    private Path write(String text) throws IOException {
        return Files.writeString(Files.createTempFile(dir, "chat", ".jsonl"), text);
    }
}
