package dev.lathe.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.models.tokenizer.BpeTrainer;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's plain-text convention, truncation, targets and the right-padding collator. */
class SftDataTest {
    private static final ByteLevelBpeTokenizer TOK = new BpeTrainer(280).train(List.of("hello world, hello there"));
    private static final int IGNORE = -100;

    @TempDir
    Path dir;

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void idsArePromptThenCompletionThenEosAndTheLossCoversTheCompletion() throws IOException {
        Path file = Files.writeString(dir.resolve("sft.jsonl"), "{\"prompt\":\"hello\",\"completion\":\" world\"}\n");
        SftExample row = SftData.load(file, TOK, 64).rows().get(0);
        int[] prompt = TOK.encode("hello"), completion = TOK.encode(" world");
        assertArrayEquals(concat(prompt, completion, new int[] {TOK.eosTokenId()}), row.ids());
        for (int i = 0; i < row.ids().length; i++) assertEquals(i >= prompt.length, row.lossMask()[i], "token " + i);
        assertEquals(completion.length + 1, row.lossTokens());

        int width = row.ids().length + 2;
        int[] targets = new int[width];
        row.writeTargets(targets, 0, IGNORE, width);
        for (int p = 0; p < width; p++) {
            boolean predictsCompletion = p >= prompt.length - 1 && p < row.ids().length - 1;
            assertEquals(predictsCompletion ? row.ids()[p + 1] : IGNORE, targets[p], "position " + p);
        }
    }

    @Test
    void textRowsAreLanguageModellingWithEosAndTheLossOnEveryPredictedToken() throws IOException {
        Path file = Files.writeString(dir.resolve("text.jsonl"), "{\"text\":\"hello there world\"}\n");
        SftExample row = SftData.load(file, TOK, 64).rows().get(0);
        int[] text = TOK.encode("hello there world");
        assertArrayEquals(concat(text, new int[] {TOK.eosTokenId()}), row.ids());
        for (int i = 0; i < row.ids().length; i++) assertEquals(i > 0, row.lossMask()[i], "token " + i);
        assertThrows(UsageException.class,
                () -> SftData.load(Files.writeString(dir.resolve("empty.jsonl"), "{\"text\":\"\"}\n"), TOK, 64));
    }

    @Test
    void longRowsKeepTheirStart() throws IOException {
        Path file = Files.writeString(dir.resolve("long.jsonl"),
                "{\"prompt\":\"hello there hello\",\"completion\":\" world world world\"}\n");
        int promptLength = TOK.encode("hello there hello").length;
        TokenizedRows<SftExample> rows = SftData.load(file, TOK, promptLength + 2);
        assertEquals(1, rows.truncated());
        SftExample row = rows.rows().get(0);
        assertEquals(promptLength + 2, row.ids().length);
        assertEquals(2, row.lossTokens());
    }

    @Test
    void preferenceRowsShareThePrompt() throws IOException {
        Path file = Files.writeString(dir.resolve("prefs.jsonl"),
                "{\"prompt\":\"hello\",\"chosen\":\" world\",\"rejected\":\" there\"}\n");
        PreferenceExample row = PreferenceData.load(file, TOK, PreferenceData.Truncation.forContext(64)).rows().get(0);
        int[] eos = {TOK.eosTokenId()};
        assertArrayEquals(concat(TOK.encode("hello"), TOK.encode(" world"), eos), row.chosen());
        assertArrayEquals(concat(TOK.encode("hello"), TOK.encode(" there"), eos), row.rejected());
    }

    @Test
    void errorsNameTheFileLineAndField() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.jsonl"),
                "{\"prompt\":\"hello\",\"completion\":\" world\"}\n{\"prompt\":\"\",\"completion\":\" world\"}\n");
        var e = assertThrows(UsageException.class, () -> SftData.load(file, TOK, 64));
        assertTrue(e.getMessage().contains("bad.jsonl line 2") && e.getMessage().contains("\"prompt\""), e.getMessage());
        Path prefs = Files.writeString(dir.resolve("prefs.jsonl"), "{\"prompt\":\"hello\",\"chosen\":1,\"rejected\":\"x\"}\n");
        e = assertThrows(UsageException.class, () -> PreferenceData.load(prefs, TOK, PreferenceData.Truncation.forContext(64)));
        assertTrue(e.getMessage().contains("prefs.jsonl line 1") && e.getMessage().contains("\"chosen\""), e.getMessage());
    }

    @Test
    void theCollatorPadsOnTheRightAndKnowsTheLengths() {
        PaddedBatch b = PaddedBatch.rightPadded(List.of(new int[] {5, 6, 7}, new int[] {8}), 0);
        assertEquals(2, b.rows());
        assertEquals(3, b.width());
        assertArrayEquals(new int[] {5, 6, 7, 8, 0, 0}, b.ids());
        assertArrayEquals(new int[] {2, 0}, b.lastTokenIndex());
        assertEquals(4, b.realTokens());
        try (var s = dev.lathe.core.Scope.open()) {
            assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0}, b.keyMask().toIntArray());
        }
    }
}
