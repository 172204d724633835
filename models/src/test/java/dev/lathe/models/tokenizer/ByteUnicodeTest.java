package dev.lathe.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteUnicodeTest {
    @Test
    void isABijectionOntoPrintableCharacters() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteUnicode.charOf(b);
            assertEquals(b, ByteUnicode.byteOf(c));
            seen.add(c);
            boolean printableLatin1 = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xFF && b != 0xAD);
            if (printableLatin1) assertEquals(b, c);
            else assertTrue(c >= 0x100 && !Character.isWhitespace(c) && !Character.isISOControl(c), "byte " + b);
        }
        assertEquals(256, seen.size());
        assertEquals('Ġ', ByteUnicode.charOf(' '));
        assertEquals('Ċ', ByteUnicode.charOf('\n'));
        assertEquals(-1, ByteUnicode.byteOf('日'));
    }

    @Test
    void vocabularyOrderIsGpt2sFirst256Ids() {
        for (int i = 0; i < 256; i++) {
            String symbol = String.valueOf(ByteUnicode.charOf(ByteUnicode.byteInVocabOrder(i)));
            assertEquals(i, Gpt2Files.GPT2.tokenToId(symbol));
        }
    }
}
