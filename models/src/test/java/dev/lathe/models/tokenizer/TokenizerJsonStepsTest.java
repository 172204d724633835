package dev.lathe.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Split behaviors, ignore_merges and the config files, against Hugging Face's documented results. */
class TokenizerJsonStepsTest {
    private static List<String> pieces(PreTokenizer p, String text) {
        List<String> out = new ArrayList<>();
        p.split(text, 0, text.length(), (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    @Test
    void splitBehaviorsMatchTheTokenizersDocumentation() {
        String text = "the-final--countdown";
        assertEquals(List.of("the", "final", "countdown"), pieces(RegexSplit.literal("-", RegexSplit.Behavior.REMOVED, false), text));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"),
                pieces(RegexSplit.literal("-", RegexSplit.Behavior.ISOLATED, false), text));
        assertEquals(List.of("the-", "final-", "-", "countdown"),
                pieces(RegexSplit.literal("-", RegexSplit.Behavior.MERGED_WITH_PREVIOUS, false), text));
        assertEquals(List.of("the", "-final", "-", "-countdown"),
                pieces(RegexSplit.literal("-", RegexSplit.Behavior.MERGED_WITH_NEXT, false), text));
        assertEquals(List.of("the", "-", "final", "--", "countdown"),
                pieces(RegexSplit.literal("-", RegexSplit.Behavior.CONTIGUOUS, false), text));
        // invert: the matches are the pieces and the text between them the delimiters
        assertEquals(List.of("the", "final", "countdown"),
                pieces(RegexSplit.regex("\\p{L}+", RegexSplit.Behavior.REMOVED, true), text));
    }

    @Test
    void ignoreMergesTakesAWholePieceThatIsAToken() {
        // "abc" is a token, but the merges only build "ab" + "c" through a lower-ranked path: b c first.
        Map<String, Integer> vocab = new java.util.LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteUnicode.charOf(b)), b);
        vocab.put("bc", 256);
        vocab.put("abc", 257);
        List<String[]> merges = List.<String[]>of(new String[] {"b", "c"});
        var plain = new ByteLevelBpeTokenizer(vocab, merges, Map.of(), 0, null, PreTokenizer.gpt2(), false, TokenizerConfig.NONE);
        var whole = new ByteLevelBpeTokenizer(vocab, merges, Map.of(), 0, null, PreTokenizer.gpt2(), true, TokenizerConfig.NONE);
        assertArrayEquals(new int[] {'a', 256}, plain.encode("abc"));
        assertArrayEquals(new int[] {257}, whole.encode("abc"));
    }

    @Test
    void readsNamedTemplatesAndGenerationEosIds(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"eos_token": {"content": "<|eot_id|>"}, "chat_template": [{"name": "tool_use", "template": "T"},
                 {"name": "default", "template": "D"}]}""");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [128001, 128009]}");
        TokenizerConfig c = TokenizerConfig.read(dir);
        assertEquals("<|eot_id|>", c.eosToken());
        assertNull(c.padToken());
        assertEquals("D", c.chatTemplate());
        assertArrayEquals(new int[] {128001, 128009}, c.generationEosIds());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"x\"}");
        assertThrows(IllegalArgumentException.class, () -> TokenizerConfig.read(dir));
    }
}
