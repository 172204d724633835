package dev.lathe.train.rollout;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.EmbeddingOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.models.Padding;
import java.util.Arrays;

/**
 * Prompts and their sampled responses in TRL's rollout layout (plain arrays; the tensors it builds are on the host,
 * for the caller to move to its model's device): each row is its prompt left-padded to the longest
 * prompt P, then its R response columns, so response column j of every row is sequence column P + j.
 * A response ends at its first EOS (kept); the columns after it hold the pad token and are masked (TRL's
 * {@code truncate_response}). Every length, mask, position and last-token index comes from the rows' lengths,
 * never from token ids: GPT-2 pads with its eos.
 *
 * <pre>
 * ids, keyMask, positions : I32 [B, P + R]     mask : [B, R] (1 up to and including EOS)
 * logits at column P − 1 + j predict response token j
 * </pre>
 */
public final class ResponseBatch {
    private final int[][] prompts;
    private final int[][] responses;
    private final int[] lengths;
    private final int promptWidth;
    private final int responseWidth;
    private final int padTokenId;
    private final int eosTokenId;

    private ResponseBatch(int[][] prompts, int[][] responses, int[] lengths, int promptWidth, int responseWidth,
                          int eosTokenId, int padTokenId) {
        this.prompts = prompts;
        this.responses = responses;
        this.lengths = lengths;
        this.promptWidth = promptWidth;
        this.responseWidth = responseWidth;
        this.eosTokenId = eosTokenId;
        this.padTokenId = padTokenId;
    }

    /**
     * Sampled responses [B][R] (all rows as wide) cut after their first {@code eosTokenId} (negative: none):
     * the tokens after it become {@code padTokenId} and leave the mask.
     */
    public static ResponseBatch truncatedAtEos(int[][] prompts, int[][] sampled, int eosTokenId, int padTokenId) {
        int b = prompts.length;
        if (sampled.length != b) throw new IllegalArgumentException(b + " prompts but " + sampled.length + " responses");
        int r = sampled[0].length, p = 0;
        int[] lengths = new int[b];
        int[][] responses = new int[b][];
        for (int row = 0; row < b; row++) {
            if (prompts[row].length == 0) throw new IllegalArgumentException("prompt " + row + " is empty");
            if (sampled[row].length != r) throw new IllegalArgumentException("responses differ in width");
            p = Math.max(p, prompts[row].length);
            int len = r;
            for (int j = 0; j < r; j++) {
                if (sampled[row][j] == eosTokenId) {
                    len = j + 1;
                    break;
                }
            }
            lengths[row] = len;
            responses[row] = sampled[row].clone();
            Arrays.fill(responses[row], len, r, padTokenId);
        }
        return new ResponseBatch(prompts, responses, lengths, p, r, eosTokenId, padTokenId);
    }

    /** The rows at {@code rows}, in that order, in the same layout (same P and R). */
    public ResponseBatch select(int[] rows) {
        int[][] p = new int[rows.length][], r = new int[rows.length][];
        int[] len = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            p[i] = prompts[rows[i]];
            r[i] = responses[rows[i]];
            len[i] = lengths[rows[i]];
        }
        return new ResponseBatch(p, r, len, promptWidth, responseWidth, eosTokenId, padTokenId);
    }

    public int rows() {
        return prompts.length;
    }

    /** P: the longest prompt. */
    public int promptWidth() {
        return promptWidth;
    }

    /** R: the response columns. */
    public int responseWidth() {
        return responseWidth;
    }

    /** P + R. */
    public int width() {
        return promptWidth + responseWidth;
    }

    /** Each row's response tokens up to and including its EOS. */
    public int[] lengths() {
        return lengths.clone();
    }

    /** Row b's response [R], pad after its EOS. */
    public int[] response(int b) {
        return responses[b].clone();
    }

    /** Row b's response tokens without the padding and without its EOS: the completion's text tokens. */
    public int[] completionIds(int b) {
        int len = lengths[b];
        if (len > 0 && responses[b][len - 1] == eosTokenId) len--;
        return Arrays.copyOf(responses[b], len);
    }

    /** Whether row b's response ended with an EOS rather than running out of columns. */
    public boolean endsWithEos(int b) {
        return lengths[b] > 0 && responses[b][lengths[b] - 1] == eosTokenId;
    }

    /** Real tokens (prompt + response up to EOS) of every row. */
    public long realTokens() {
        long n = 0;
        for (int b = 0; b < rows(); b++) n += prompts[b].length + lengths[b];
        return n;
    }

    /** Row-major mask [B·R]: 1 on each row's first lengths[b] response columns. */
    public float[] mask() {
        float[] m = new float[rows() * responseWidth];
        for (int b = 0; b < rows(); b++) Arrays.fill(m, b * responseWidth, b * responseWidth + lengths[b], 1f);
        return m;
    }

    /** Sequence column of each row's last real token (its EOS, or its last response column): P + len − 1. */
    public int[] lastIndex() {
        int[] out = new int[rows()];
        for (int b = 0; b < rows(); b++) out[b] = promptWidth + lengths[b] - 1;
        return out;
    }

    /** I32 [B, P + R]: left padding, prompt, response (pad after EOS). */
    public Tensor ids() {
        int w = width();
        int[] ids = new int[rows() * w];
        Arrays.fill(ids, padTokenId);
        for (int b = 0; b < rows(); b++) {
            int[] p = prompts[b];
            System.arraycopy(p, 0, ids, b * w + promptWidth - p.length, p.length);
            System.arraycopy(responses[b], 0, ids, b * w + promptWidth, responseWidth);
        }
        return Tensor.ofInts(ids, rows(), w);
    }

    /** I32 [B, P + R]: 1 on the prompt and the response up to EOS, 0 on the padding on either side. */
    public Tensor keyMask() {
        int w = width();
        int[] m = new int[rows() * w];
        for (int b = 0; b < rows(); b++) {
            Arrays.fill(m, b * w + promptWidth - prompts[b].length, b * w + promptWidth + lengths[b], 1);
        }
        return Tensor.ofInts(m, rows(), w);
    }

    /** I32 [B, P + R]: cumsum(keyMask) − 1 clamped at 0, as Hugging Face numbers left-padded rows. */
    public Tensor positions() {
        try (Tensor m = keyMask()) {
            return Padding.positionsFromMask(m);
        }
    }

    /** I32 [B·(P + R)]: response token j as the target of column P − 1 + j up to EOS, ignored elsewhere. */
    public Tensor targets() {
        int w = width();
        int[] t = new int[rows() * w];
        Arrays.fill(t, LossOps.IGNORE_INDEX);
        for (int b = 0; b < rows(); b++) {
            for (int j = 0; j < lengths[b]; j++) t[b * w + promptWidth - 1 + j] = responses[b][j];
        }
        return Tensor.ofInts(t);
    }

    /**
     * perPosition [B·(P + R)] → [B, R]: the value at the column that predicts each response token (column
     * P − 1 + j), TRL's {@code [:, context_length − 1 : −1]}. Differentiable (a row gather).
     */
    public Tensor responseColumns(Tensor perPosition) {
        int w = width();
        if (perPosition.numel() != (long) rows() * w) {
            throw new IllegalArgumentException("expected " + rows() * w + " per-position values, got " + perPosition);
        }
        int[] index = new int[rows() * responseWidth];
        for (int b = 0; b < rows(); b++) {
            for (int j = 0; j < responseWidth; j++) index[b * responseWidth + j] = b * w + promptWidth - 1 + j;
        }
        Tensor table = perPosition.contiguous().view(rows() * w, 1);
        return EmbeddingOps.embedding(Tensor.ofInts(index).moveTo(table.device()), table).view(rows(), responseWidth);
    }
}
