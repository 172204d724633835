package dev.lathe.models.tokenizer;

/**
 * A text normalized chunk by chunk, with the way back to the original characters. A chunk is a character that
 * composes with nothing before it (not a combining mark, not a Hangul vowel or final jamo, not a low surrogate)
 * with the marks that follow it; normal forms and lower-casing never reach across such a boundary (combining
 * marks beyond the BMP aside), so normalizing chunk by chunk gives the text's normalization while every
 * normalized character knows the original chunk it came from.
 */
record NormalizedText(String text, int[] chunkStart, int[] chunkEnd) {
    /** {@code original} normalized; chunkStart/chunkEnd give, per normalized char, its chunk's original range. */
    static NormalizedText of(String original, TextNormalizer normalizer) {
        StringBuilder out = new StringBuilder(original.length() + 8);
        int[] starts = new int[original.length() * 2 + 8], ends = new int[starts.length];
        int from = 0;
        while (from < original.length()) {
            int to = from + 1;
            while (to < original.length() && !startsChunk(original.charAt(to))) to++;
            String normalized = normalizer.apply(original.substring(from, to));
            if (out.length() + normalized.length() > starts.length) {
                starts = java.util.Arrays.copyOf(starts, 2 * (out.length() + normalized.length()));
                ends = java.util.Arrays.copyOf(ends, starts.length);
            }
            for (int k = 0; k < normalized.length(); k++) {
                starts[out.length() + k] = from;
                ends[out.length() + k] = to;
            }
            out.append(normalized);
            from = to;
        }
        return new NormalizedText(out.toString(), starts, ends);
    }

    private static boolean startsChunk(char c) {
        if (Character.isLowSurrogate(c) || (c >= 0x1160 && c <= 0x11FF) || (c >= 0xD7B0 && c <= 0xD7FF)) return false;
        int type = Character.getType(c);
        return type != Character.NON_SPACING_MARK && type != Character.COMBINING_SPACING_MARK
                && type != Character.ENCLOSING_MARK;
    }

    /** The original index where the normalized range starting at {@code start} begins. */
    int originalStart(int start) {
        return chunkStart[start];
    }

    /** The original index where the normalized range ending at {@code end} (exclusive, > 0) ends. */
    int originalEnd(int end) {
        return chunkEnd[end - 1];
    }
}
