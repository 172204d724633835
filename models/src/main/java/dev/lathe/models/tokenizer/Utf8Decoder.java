package dev.lathe.models.tokenizer;

/**
 * UTF-8 to text where every ill-formed part becomes one U+FFFD per maximal subpart (Unicode's recommended
 * practice, chapter 3 "U+FFFD Substitution of Maximal Subparts"), which is what Python's
 * {@code bytes.decode("utf-8", errors="replace")} gives. The JDK's decoder differs on some sequences (an
 * encoded surrogate ED A0 80 becomes one U+FFFD there, three here), hence this one.
 */
final class Utf8Decoder {
    private static final char REPLACEMENT = '\uFFFD';

    private Utf8Decoder() {}

    static String decode(byte[] bytes, int length) {
        StringBuilder sb = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need, lo = 0x80, hi = 0xBF; // bytes after the lead, and the range of the first of them
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) lo = 0xA0; // no overlong forms
                if (b0 == 0xED) hi = 0x9F; // no surrogates
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F; // nothing above U+10FFFF
            } else { // a continuation byte, C0/C1, F5..FF: never valid
                sb.append(REPLACEMENT);
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            for (int k = 0; k < need; k++, j++) {
                int b = j < length ? bytes[j] & 0xFF : -1;
                if (b < (k == 0 ? lo : 0x80) || b > (k == 0 ? hi : 0xBF)) break;
                cp = (cp << 6) | (b & 0x3F);
            }
            if (j - i == need + 1) {
                sb.appendCodePoint(cp);
            } else {
                sb.append(REPLACEMENT); // the lead and the valid continuation bytes read so far
            }
            i = j;
        }
        return sb.toString();
    }
}
