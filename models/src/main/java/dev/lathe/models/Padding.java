package dev.lathe.models;

import dev.lathe.core.Tensor;

/**
 * Key masks, positions and last-token indices of a padded batch, built from the rows' lengths — never from
 * token ids, since GPT-2 pads with its eos token. Results are I32 [B, T] tensors (or int arrays), owned by the
 * caller or the open scope.
 */
public final class Padding {
    /** Where the padding of a row goes. */
    public enum Side { LEFT, RIGHT }

    private Padding() {}

    /** 1 on each row's {@code lengths[b]} real tokens, 0 on its padding. */
    public static Tensor mask(int[] lengths, int t, Side side) {
        int[] m = new int[lengths.length * t];
        for (int b = 0; b < lengths.length; b++) {
            int len = checkLength(lengths[b], t);
            int from = side == Side.RIGHT ? 0 : t - len;
            for (int i = from; i < from + len; i++) m[b * t + i] = 1;
        }
        return Tensor.ofInts(m, lengths.length, t);
    }

    /**
     * Positions of a padded batch: 0..len-1 on each row's real tokens. Right padding keeps counting into the
     * padding (Hugging Face's default arange when no position ids are given); left padding is
     * {@link #positionsFromMask}, so padding gets 0.
     */
    public static Tensor positions(int[] lengths, int t, Side side) {
        if (side == Side.LEFT) {
            try (Tensor m = mask(lengths, t, side)) {
                return positionsFromMask(m);
            }
        }
        int[] p = new int[lengths.length * t];
        for (int b = 0; b < lengths.length; b++) {
            checkLength(lengths[b], t);
            for (int i = 0; i < t; i++) p[b * t + i] = i;
        }
        return Tensor.ofInts(p, lengths.length, t);
    }

    /**
     * Hugging Face's position ids for a mask I32 [B, T]: cumsum(mask) − 1 along each row, clamped at 0; computed on
     * the host and returned on the mask's device.
     */
    public static Tensor positionsFromMask(Tensor mask) {
        if (mask.rank() != 2) throw new IllegalArgumentException("mask " + mask + " is not [B, T]");
        int rows = mask.dim(0), t = mask.dim(1);
        int[] m = mask.toIntArray();
        int[] p = new int[m.length];
        for (int b = 0; b < rows; b++) {
            int seen = 0;
            for (int i = 0; i < t; i++) {
                seen += m[b * t + i] != 0 ? 1 : 0;
                p[b * t + i] = Math.max(seen - 1, 0);
            }
        }
        return Tensor.ofInts(p, rows, t).moveTo(mask.device());
    }

    /** Index along T of each row's last real token (a reward model's score position). */
    public static int[] lastTokenIndex(int[] lengths, int t, Side side) {
        int[] out = new int[lengths.length];
        for (int b = 0; b < lengths.length; b++) {
            if (checkLength(lengths[b], t) == 0) throw new IllegalArgumentException("row " + b + " has no tokens");
            out[b] = side == Side.RIGHT ? lengths[b] - 1 : t - 1;
        }
        return out;
    }

    private static int checkLength(int len, int t) {
        if (len < 0 || len > t) throw new IllegalArgumentException("length " + len + " outside [0, " + t + "]");
        return len;
    }
}
