package dev.lathe.models.tokenizer;

/**
 * GPT-2's {@code bytes_to_unicode} table: every byte value gets a printable character so that byte-level tokens
 * are readable strings. The 188 bytes that are printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') map to
 * themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen) map to U+0100, U+0101, ... in byte order,
 * so the space byte is 'Ġ' (U+0120) and '\n' is 'Ċ' (U+010A).
 */
public final class ByteUnicode {
    /** The table's characters all lie below this code point. */
    private static final int CHAR_LIMIT = 0x100 + 68;

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[CHAR_LIMIT];
    /** The 256 bytes in GPT-2's vocabulary order: the printable ones ascending, then the rest ascending. */
    private static final int[] ORDER = new int[256];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0, shifted = 0;
        for (int b = 0; b < 256; b++) {
            if (printable(b)) ORDER[next++] = b;
        }
        for (int b = 0; b < 256; b++) {
            char c;
            if (printable(b)) {
                c = (char) b;
            } else {
                c = (char) (0x100 + shifted++);
                ORDER[next++] = b;
            }
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteUnicode() {}

    private static boolean printable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The character standing for byte {@code b} (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** {@code bytes} spelled in the table's characters: the token string of those bytes. */
    public static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(chars);
    }

    /** The byte a table character stands for, or -1 when {@code c} is not in the table. */
    public static int byteOf(char c) {
        return c < CHAR_LIMIT ? CHAR_TO_BYTE[c] : -1;
    }

    /** The i-th byte (0..255) in GPT-2's vocabulary order: GPT-2's token id i is the symbol of this byte. */
    public static int byteInVocabOrder(int i) {
        return ORDER[i];
    }
}
