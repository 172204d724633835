package dev.lathe.train.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.UsageException;
import dev.lathe.train.data.PreferenceData;
import dev.lathe.train.data.PreferenceExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading preference JSONL into token ids: TRL's layout, the truncation policy and the error messages. */
class PreferenceDataTest {
    private static final int EOS = 50256;
    private static final PreferenceData.Truncation WIDE = new PreferenceData.Truncation(128, 64);

    @TempDir
    Path dir;

    @Test
    void idsArePromptThenCompletionThenEosWithTheKnownGpt2Ids() throws IOException {
        Path file = write("""
                {"prompt": "Hello", "chosen": " world", "rejected": " there"}
                """);
        List<PreferenceExample> rows = PreferenceData.load(file, DpoFixture.tokenizer(), WIDE).rows();
        assertEquals(1, rows.size());
        PreferenceExample row = rows.get(0);
        // GPT-2's ids: "Hello" 15496, " world" 995, " there" 612, <|endoftext|> 50256.
        assertEquals(1, row.promptLength());
        assertArrayEquals(new int[] {15496, 995, EOS}, row.chosen());
        assertArrayEquals(new int[] {15496, 612, EOS}, row.rejected());
        assertEquals(2, row.chosenTokens());
        assertEquals(2, row.rejectedTokens());
    }

    @Test
    void promptsAndCompletionsAreTokenizedSeparately() throws IOException {
        // Together " br" + "own" is the one token " brown"; apart they stay two, as in TRL.
        Path file = write("""
                {"prompt": "The quick br", "chosen": "own fox", "rejected": "ight"}
                """);
        ByteLevelBpeTokenizer tok = DpoFixture.tokenizer();
        PreferenceExample row = PreferenceData.load(file, tok, WIDE).rows().get(0);
        int[] apart = concat(tok.encode("The quick br"), tok.encode("own fox"), new int[] {EOS});
        assertFalse(Arrays.equals(concat(tok.encode("The quick brown fox"), new int[] {EOS}), apart));
        assertArrayEquals(apart, row.chosen());
        assertEquals(tok.encode("The quick br").length, row.promptLength());
    }

    @Test
    void longPromptsKeepTheirEndAndLongCompletionsTheirStart() throws IOException {
        ByteLevelBpeTokenizer tok = DpoFixture.tokenizer();
        String prompt = words(5), longCompletion = words(9);
        Path file = write("{\"prompt\": \"" + prompt + "\", \"chosen\": \" yes\", \"rejected\": \"" + longCompletion + "\"}\n"
                + "{\"prompt\": \" short\", \"chosen\": \"" + longCompletion + "\", \"rejected\": \" no\"}\n"
                + "{\"prompt\": \"" + prompt + "\", \"chosen\": \" yes\", \"rejected\": \" no\"}\n");
        List<PreferenceExample> rows = PreferenceData.load(file, tok, new PreferenceData.Truncation(8, 3)).rows();
        int[] p = tok.encode(prompt), c = tok.encode(longCompletion);
        assertEquals(5, p.length);
        assertEquals(9, c.length);
        int[] yes = tok.encode(" yes"), no = tok.encode(" no");

        // 5 + 10 > 8: the prompt keeps its last 3 tokens, the short completion keeps its eos, the long one is cut.
        PreferenceExample first = rows.get(0);
        int[] promptEnd = Arrays.copyOfRange(p, 2, 5);
        assertEquals(3, first.promptLength());
        assertArrayEquals(concat(promptEnd, yes, new int[] {EOS}), first.chosen());
        assertArrayEquals(concat(promptEnd, Arrays.copyOf(c, 5)), first.rejected());

        // A prompt within its limit stays whole; the completion takes all the remaining room.
        PreferenceExample second = rows.get(1);
        assertEquals(1, second.promptLength());
        assertArrayEquals(concat(tok.encode(" short"), Arrays.copyOf(c, 7)), second.chosen());
        assertArrayEquals(concat(tok.encode(" short"), no, new int[] {EOS}), second.rejected());

        // 5 + 2 fits in 8: nothing is cut, even though the prompt is longer than its limit.
        PreferenceExample third = rows.get(2);
        assertEquals(5, third.promptLength());
        assertArrayEquals(concat(p, yes, new int[] {EOS}), third.chosen());
    }

    @Test
    void badRowsNameTheFileLineAndField() throws IOException {
        Path missing = write("""
                {"prompt": "a", "chosen": " b", "rejected": " c"}

                {"prompt": "a", "chosen": " b"}
                """);
        assertMessage(missing, "line 3", "\"rejected\"");
        assertMessage(write("{\"prompt\": \"a\", \"chosen\": 7, \"rejected\": \" c\"}\n"), "line 1", "\"chosen\"");
        assertMessage(write("{\"prompt\": \"\", \"chosen\": \" b\", \"rejected\": \" c\"}\n"), "line 1", "\"prompt\"");
        assertMessage(write("{\"prompt\": \"a\", \"chosen\"\n"), "line 1", "not valid JSON");
        assertMessage(write("\n\n"), "no preference rows");
    }

    @Test
    void conversationalRowsEndThePromptWithTheGenerationPromptAndEachAnswerWithItsEndOfTurn() throws IOException {
        String prompt = "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Capital of France?\"}]";
        String chosen = "{\"role\": \"assistant\", \"content\": \"Paris.\"}";
        String rejected = "{\"role\": \"assistant\", \"content\": \"Lyon, I think.\"}";
        String implicitChosen = prompt.substring(0, prompt.length() - 1) + ", " + chosen + "]";
        String implicitRejected = prompt.substring(0, prompt.length() - 1) + ", " + rejected + "]";
        Path file = write("{\"prompt\": " + prompt + ", \"chosen\": [" + chosen + "], \"rejected\": [" + rejected + "]}\n"
                + "{\"chosen\": " + implicitChosen + ", \"rejected\": " + implicitRejected + "}\n");
        ByteLevelBpeTokenizer tok = DpoFixture.tokenizer();
        List<PreferenceExample> rows = PreferenceData.load(file, tok, WIDE).rows();
        PreferenceExample row = rows.get(0);
        String promptText = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals(tok.encode("<|im_start|>system\n").length + tok.encode("Be brief.").length
                + tok.encode("<|im_start|>user\n").length + tok.encode("Capital of France?").length
                + 2 * tok.encode("<|im_end|>").length + 2 * tok.encode("\n").length
                + tok.encode("<|im_start|>assistant\n").length, row.promptLength());
        assertEquals(promptText, tok.decode(Arrays.copyOf(row.chosen(), row.promptLength())));
        assertEquals("Paris.<|im_end|>", tok.decode(Arrays.copyOfRange(row.chosen(), row.promptLength(), row.chosen().length)));
        assertEquals("Lyon, I think.<|im_end|>",
                tok.decode(Arrays.copyOfRange(row.rejected(), row.promptLength(), row.rejected().length)));
        assertEquals(tok.encode("Paris.").length + tok.encode("<|im_end|>").length, row.chosenTokens());
        // Without a "prompt", the messages chosen and rejected share are the prompt.
        PreferenceExample implicit = rows.get(1);
        assertEquals(row.promptLength(), implicit.promptLength());
        assertArrayEquals(row.chosen(), implicit.chosen());
        assertArrayEquals(row.rejected(), implicit.rejected());
    }

    @Test
    void badConversationalRowsNameTheFileLineAndField() throws IOException {
        String user = "{\"role\": \"user\", \"content\": \"q\"}", answer = "{\"role\": \"assistant\", \"content\": \"a\"}";
        assertMessage(write("{\"prompt\": [" + user + "], \"chosen\": [" + user + "], \"rejected\": [" + answer + "]}\n"),
                "line 1", "\"chosen\"", "assistant");
        assertMessage(write("{\"prompt\": [" + user + "], \"chosen\": [" + answer + "], \"rejected\": [{\"role\": \"bot\", "
                + "\"content\": \"a\"}]}\n"), "line 1", "\"rejected\"[0].role", "\"bot\"");
        assertMessage(write("{\"prompt\": [" + user + "], \"chosen\": [" + answer + "], \"rejected\": \"a\"}\n"),
                "line 1", "\"rejected\"", "list");
        assertMessage(write("{\"chosen\": [" + answer + "], \"rejected\": [" + user + "]}\n"), "line 1", "share no leading");
    }

    @Test
    void truncationLimitsMustLeaveRoomForACompletion() {
        assertThrows(IllegalArgumentException.class, () -> new PreferenceData.Truncation(8, 8));
        assertThrows(IllegalArgumentException.class, () -> new PreferenceData.Truncation(8, 0));
        assertEquals(new PreferenceData.Truncation(1024, 512), PreferenceData.Truncation.forContext(1024));
    }

    private void assertMessage(Path file, String... parts) {
        UsageException e = assertThrows(UsageException.class, () -> PreferenceData.load(file, DpoFixture.tokenizer(), WIDE));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
    }

    private Path write(String text) throws IOException {
        Path file = Files.createTempFile(dir, "prefs", ".jsonl");
        Files.writeString(file, text);
        return file;
    }

    /** n distinct words that are one GPT-2 token each (with their leading space). */
    private static String words(int n) {
        String[] pool = {" the", " river", " blue", " robot", " quiet", " model", " data", " world", " answer"};
        return String.join("", IntStream.range(0, n).mapToObj(i -> pool[i]).toList());
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }
}
