package dev.lathe.models.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Seeded mutations of a valid file's bytes: bit flips, random bytes, truncations, deleted and duplicated ranges,
 * inserted JSON tokens, and digit runs replaced by edge-case numbers (which in a JSON file or a safetensors
 * header hit lengths, ids, shapes and offsets). Each call applies one to four of them.
 */
final class Mutations {
    /** Text spliced in: JSON structure, escapes, bytes that are not UTF-8. */
    private static final String[] TOKENS = {
            "{", "}", "[", "]", "\"", ",", ":", "null", "true", "[]", "{}", "\\", "\\u0000", "\\ud800", "\u0000",
            "\"a\":", "{\"a\":[[[[", "]]]]}", "-", "."};
    /** Numbers that sit on the edges of int, long, float and the array sizes. */
    private static final String[] NUMBERS = {
            "0", "-1", "1", "2", "255", "256", "2147483647", "2147483648", "-2147483648", "4294967296",
            "9223372036854775807", "9223372036854775808", "18446744073709551615", "99999999999999999999999",
            "1e309", "-0", "0.5", "1e3", "16777216", "65536"};

    private Mutations() {}

    static byte[] mutate(byte[] valid, Random rng) {
        byte[] b = valid;
        int n = 1 + rng.nextInt(4);
        for (int i = 0; i < n; i++) b = once(b, rng);
        return b;
    }

    /** The 8-byte little-endian length field of a safetensors file set to an edge value or nudged. */
    static byte[] editLengthField(byte[] valid, Random rng) {
        byte[] b = valid.clone();
        long length = 0;
        for (int i = 7; i >= 0; i--) length = length << 8 | (b[i] & 0xff);
        long[] edges = {0, 1, 2, 7, 8, Long.MAX_VALUE, -1, Long.MIN_VALUE, 100_000_001, b.length, b.length - 8};
        long edited = rng.nextBoolean() ? edges[rng.nextInt(edges.length)] : length + rng.nextInt(33) - 16;
        for (int i = 0; i < 8; i++) b[i] = (byte) (edited >>> (8 * i));
        return b;
    }

    private static byte[] once(byte[] b, Random rng) {
        if (b.length == 0) return ascii(TOKENS[rng.nextInt(TOKENS.length)]);
        int at = rng.nextInt(b.length);
        return switch (rng.nextInt(8)) {
            case 0 -> {
                byte[] c = b.clone();
                c[at] ^= (byte) (1 << rng.nextInt(8));
                yield c;
            }
            case 1 -> {
                byte[] c = b.clone();
                c[at] = (byte) rng.nextInt(256);
                yield c;
            }
            case 2 -> java.util.Arrays.copyOf(b, at);
            case 3 -> splice(b, at, Math.min(b.length, at + 1 + rng.nextInt(16)), new byte[0]);
            case 4 -> {
                int end = Math.min(b.length, at + 1 + rng.nextInt(64));
                yield splice(b, at, at, java.util.Arrays.copyOfRange(b, at, end));
            }
            case 5 -> splice(b, at, at, ascii(TOKENS[rng.nextInt(TOKENS.length)]));
            case 6 -> splice(b, at, at, new byte[] {(byte) (0x80 + rng.nextInt(128))});
            default -> replaceNumber(b, at, rng);
        };
    }

    /** The first run of digits at or after {@code from} (wrapping around) replaced by an edge-case number. */
    private static byte[] replaceNumber(byte[] b, int from, Random rng) {
        for (int k = 0; k < b.length; k++) {
            int i = (from + k) % b.length;
            if (Character.isDigit(b[i])) {
                int end = i;
                while (end < b.length && Character.isDigit(b[end])) end++;
                while (i > 0 && Character.isDigit(b[i - 1])) i--;
                return splice(b, i, end, ascii(NUMBERS[rng.nextInt(NUMBERS.length)]));
            }
        }
        return b;
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        var out = new ByteArrayOutputStream(b.length + insert.length);
        out.write(b, 0, from);
        out.write(insert, 0, insert.length);
        out.write(b, to, b.length - to);
        return out.toByteArray();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
