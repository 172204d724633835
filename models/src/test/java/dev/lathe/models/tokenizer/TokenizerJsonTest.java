package dev.lathe.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.text.Normalizer;
import org.junit.jupiter.api.Test;

/** Qwen3's tokenizer.json (NFC, a Split regex, ByteLevel, pair merges, added tokens) against its reference ids. */
class TokenizerJsonTest {
    private static final ByteLevelBpeTokenizer QWEN3 = Qwen3Files.QWEN3;

    @Test
    void encodesEveryReferenceTextExactly() {
        JsonNode rows = Qwen3Files.json("qwen3-tokenizer/expected.json").get("encodings");
        assertTrue(rows.size() > 50);
        for (JsonNode row : rows) {
            String text = row.get("text").asText();
            assertArrayEquals(Qwen3Files.ints(row.get("ids")), QWEN3.encode(text), text);
            assertArrayEquals(Qwen3Files.ints(row.get("ids")), QWEN3.encodeWithOffsets(text).ids(), text);
        }
    }

    @Test
    void decodesBackToTheNormalizedText() {
        for (JsonNode row : Qwen3Files.json("qwen3-tokenizer/expected.json").get("encodings")) {
            String text = row.get("text").asText();
            assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), QWEN3.decode(QWEN3.encode(text)));
        }
    }

    @Test
    void readsEosPadAndChatTemplateFromTheConfig() {
        assertEquals(151645, QWEN3.eosTokenId()); // <|im_end|>
        assertEquals(151643, QWEN3.padTokenId()); // <|endoftext|>
        assertEquals(151669, QWEN3.vocabSize());
        assertTrue(QWEN3.config().chatTemplate().contains("<|im_start|>"));
    }

    @Test
    void offsetsCoverEachTokensCharacters() {
        String text = "<|im_start|>user\ncafé 日本 🙂<|im_end|>";
        Encoding e = QWEN3.encodeWithOffsets(text);
        int at = 0;
        for (int i = 0; i < e.ids().length; i++) {
            assertEquals(at, e.starts()[i], "token " + i + " starts where the one before ended");
            String covered = text.substring(e.starts()[i], e.ends()[i]);
            assertEquals(covered, QWEN3.decode(new int[] {e.ids()[i]}), "token " + i);
            at = e.ends()[i];
        }
        assertEquals(text.length(), at);
    }

    @Test
    void offsetsOfRewrittenCharactersPointAtTheOriginals() {
        String text = "cafe\u0301 x"; // NFC composes e + U+0301 into é
        Encoding e = QWEN3.encodeWithOffsets(text);
        assertArrayEquals(QWEN3.encode("café x"), e.ids());
        assertEquals(0, e.starts()[0]);
        assertEquals(text.length(), e.ends()[e.ids().length - 1]);
        for (int i = 1; i < e.ids().length; i++) assertTrue(e.starts()[i] >= e.ends()[i - 1]);
    }
}
