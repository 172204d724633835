package dev.lathe.models.tokenizer;

import java.util.List;

/**
 * Splits text into the pieces that BPE encodes one by one (Hugging Face's pre-tokenizers). Pieces are given as
 * {@code [start, end)} ranges of the text, in order; a splitter never rewrites the text, so a piece's characters
 * are the text's own (which keeps token offsets exact). Implementations are immutable and thread-safe.
 */
public interface PreTokenizer {
    /** Receives one piece {@code [start, end)}. */
    @FunctionalInterface
    interface Pieces {
        void piece(int start, int end);
    }

    /** Emits the pieces of {@code text[start, end)}; text outside it is not looked at (its ends are the text's). */
    void split(String text, int start, int end, Pieces out);

    /** GPT-2's pre-tokenization ({@link Gpt2PreTokenizer}): ByteLevel with {@code use_regex}. */
    static PreTokenizer gpt2() {
        return (text, start, end, out) -> {
            for (int i = start; i < end; ) {
                int j = Gpt2PreTokenizer.pieceEnd(text, i, end);
                out.piece(i, j);
                i = j;
            }
        };
    }

    /** The whole range as one piece: ByteLevel without {@code use_regex}. */
    static PreTokenizer whole() {
        return (text, start, end, out) -> {
            if (start < end) out.piece(start, end);
        };
    }

    /** Each splitter applied to every piece of the one before (Hugging Face's {@code Sequence}). */
    static PreTokenizer sequence(List<PreTokenizer> steps) {
        PreTokenizer result = whole();
        for (PreTokenizer step : steps) {
            PreTokenizer before = result;
            result = (text, start, end, out) -> before.split(text, start, end, (s, e) -> step.split(text, s, e, out));
        }
        return result;
    }
}
