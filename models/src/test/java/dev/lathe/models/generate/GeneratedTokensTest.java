package dev.lathe.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Per-row EOS stopping, padding, masks and the max-new-tokens limit. */
class GeneratedTokensTest {
    private static final int EOS = 9, PAD = 0;

    private static Samples step(int[] tokens, float logProb) {
        float[] lp = new float[tokens.length], plp = new float[tokens.length];
        Arrays.fill(lp, logProb);
        Arrays.fill(plp, logProb / 2);
        return new Samples(tokens, lp, plp);
    }

    @Test
    void finishedRowsEmitPadWithMaskAndLogProbsZero() {
        var gen = new GeneratedTokens(3, new StoppingCriteria(10, EOS, PAD));
        assertArrayEquals(new int[] {5, EOS, 7}, gen.record(step(new int[] {5, EOS, 7}, -1f)));
        assertTrue(gen.finished(1));
        assertArrayEquals(new int[] {EOS, PAD, 4}, gen.record(step(new int[] {EOS, 3, 4}, -2f)));
        assertFalse(gen.done());
        assertArrayEquals(new int[] {PAD, PAD, EOS}, gen.record(step(new int[] {1, 2, EOS}, -3f)));
        assertTrue(gen.done());
        assertEquals(3, gen.steps());

        assertArrayEquals(new int[][] {{5, EOS, PAD}, {EOS, PAD, PAD}, {7, 4, EOS}}, gen.tokens());
        assertArrayEquals(new int[][] {{1, 1, 0}, {1, 0, 0}, {1, 1, 1}}, gen.mask());
        assertArrayEquals(new float[][] {{-1, -2, 0}, {-1, 0, 0}, {-1, -2, -3}}, gen.logProbs());
        assertArrayEquals(new float[][] {{-0.5f, -1, 0}, {-0.5f, 0, 0}, {-0.5f, -1, -1.5f}}, gen.processedLogProbs());
        assertArrayEquals(new int[] {2, 1, 3}, gen.lengths());
        assertThrows(IllegalStateException.class, () -> gen.record(step(new int[] {1, 1, 1}, 0f)));
    }

    @Test
    void stopsAtMaxNewTokensWithoutEos() {
        var gen = new GeneratedTokens(2, new StoppingCriteria(2, -1, PAD));
        gen.record(step(new int[] {EOS, 1}, -1f)); // no EOS configured: 9 is an ordinary token
        assertFalse(gen.done());
        gen.record(step(new int[] {2, 3}, -1f));
        assertTrue(gen.done());
        assertArrayEquals(new int[][] {{EOS, 2}, {1, 3}}, gen.tokens());
        assertArrayEquals(new int[] {2, 2}, gen.lengths());
        assertThrows(IllegalArgumentException.class, () -> new StoppingCriteria(0, EOS, PAD));
        assertThrows(IllegalArgumentException.class,
                () -> new GeneratedTokens(2, new StoppingCriteria(3, EOS, PAD)).record(step(new int[] {1}, 0f)));
    }
}
