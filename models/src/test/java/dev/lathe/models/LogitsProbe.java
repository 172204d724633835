package dev.lathe.models;

import static dev.lathe.models.Fixtures.assertClose;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Tensor;
import dev.lathe.models.Padding.Side;
import java.util.Arrays;

/**
 * The PyTorch logits probe of a fixture ({@code ids}, {@code row_logsumexp}, {@code last_row_first8}) as both
 * model families' probe tests check it: flat logits against the probe's values, and a padded batch's rows.
 */
public final class LogitsProbe {
    /** The fixtures' stated tolerance for logits and log-sum-exps. */
    private static final double TOL = 1e-4;

    private LogitsProbe() {}

    /** Flat logits [count, V] against the probe's first {@code count} log-sum-exps (and its last row's first 8 if whole). */
    public static void checkPositions(JsonNode probe, float[] logits, int count, int v, String what) {
        double[] lse = Fixtures.doubles(probe.get("row_logsumexp"));
        double[] last8 = Fixtures.doubles(probe.get("last_row_first8"));
        for (int pos = 0; pos < count; pos++) {
            assertClose(lse[pos], logSumExp(logits, pos, v), TOL, what + ": logsumexp at position " + pos);
        }
        if (count < lse.length) return;
        int lastBase = (lse.length - 1) * v;
        for (int j = 0; j < last8.length; j++) {
            assertClose(last8[j], logits[lastBase + j], TOL, what + ": last position logit " + j);
        }
    }

    /**
     * The probe ({@code ids}) and its first {@code lengths[1]} tokens as a batch of 2 padded with {@code pad} to T
     * on {@code side}: each row's logits [lengths[b], V] at its real positions (call inside a scope, autograd off).
     */
    public static float[][] paddedRows(CausalLm model, int[] ids, int[] lengths, int t, int pad, Side side) {
        int v = model.config().vocabSize();
        int[] batch = new int[2 * t];
        Arrays.fill(batch, pad);
        int[] first = new int[2];
        for (int b = 0; b < 2; b++) {
            first[b] = side == Side.RIGHT ? 0 : t - lengths[b];
            System.arraycopy(ids, 0, batch, b * t + first[b], lengths[b]);
        }
        Tensor hidden = model.forward(Tensor.ofInts(batch, 2, t), Padding.positions(lengths, t, side),
                Padding.mask(lengths, t, side));
        float[] logits = model.logits(hidden).toFloatArray();
        float[][] rows = new float[2][];
        for (int b = 0; b < 2; b++) {
            int from = (b * t + first[b]) * v;
            rows[b] = Arrays.copyOfRange(logits, from, from + lengths[b] * v);
        }
        return rows;
    }

    /** log Σ exp of row {@code row} of flat logits [.., V], in float64. */
    static double logSumExp(float[] logits, int row, int v) {
        int base = row * v;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, logits[base + j]);
        double sum = 0;
        for (int j = 0; j < v; j++) sum += Math.exp(logits[base + j] - max);
        return max + Math.log(sum);
    }
}
