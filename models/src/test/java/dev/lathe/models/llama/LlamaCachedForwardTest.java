package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.KvCache;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * KV-cache decoding under left padding: a prefill of left-padded prompts and then one token per row per step,
 * each at position len_b + s, gives the hidden states of the full forward over the whole left-padded sequences
 * (the rotary angles of cached keys and of each new query come from the rows' own positions).
 */
class LlamaCachedForwardTest {
    private static final int[][] PROMPTS = {{5, 9, 2, 14, 7, 1}, {8, 3, 11}};
    private static final int[][] CONTINUATIONS = {{4, 6, 10}, {12, 0, 13}};

    @Test
    void qwen3FixtureCachedMatchesFull() throws IOException {
        try (LlamaModel model = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            check(model);
        }
    }

    @Test
    void llamaCachedMatchesFull() {
        try (LlamaModel model = LlamaConfigs.randomModel(LlamaConfigs.llama(), 21)) {
            check(model);
        }
    }

    private static void check(CausalLm model) {
        int rows = PROMPTS.length, t0 = PROMPTS[0].length, steps = CONTINUATIONS[0].length, t = t0 + steps;
        int c = model.config().hiddenSize();
        int[] promptLengths = Arrays.stream(PROMPTS).mapToInt(p -> p.length).toArray();
        int[] fullLengths = Arrays.stream(promptLengths).map(n -> n + steps).toArray();
        try (var s = Scope.open(); var noGrad = GradMode.off(); KvCache cache = model.newKvCache(rows, t)) {
            int[] full = new int[rows * t];
            for (int b = 0; b < rows; b++) {
                int from = b * t + t0 - PROMPTS[b].length;
                System.arraycopy(PROMPTS[b], 0, full, from, PROMPTS[b].length);
                System.arraycopy(CONTINUATIONS[b], 0, full, b * t + t0, steps);
            }
            float[] want = model.forward(Tensor.ofInts(full, rows, t), Padding.positions(fullLengths, t, Side.LEFT),
                    Padding.mask(fullLengths, t, Side.LEFT)).toFloatArray();

            int[] prompt = new int[rows * t0];
            for (int b = 0; b < rows; b++) System.arraycopy(full, b * t, prompt, b * t0, t0);
            Tensor keyMask = Padding.mask(fullLengths, t, Side.LEFT); // cache columns: padding, prompt, then steps
            float[] prefill = model.forwardCached(Tensor.ofInts(prompt, rows, t0),
                    Padding.positions(promptLengths, t0, Side.LEFT), keyMask, cache).toFloatArray();
            for (int b = 0; b < rows; b++) {
                for (int i = t0 - promptLengths[b]; i < t0; i++) {
                    compare(want, (b * t + i) * c, prefill, (b * t0 + i) * c, c, "prefill row " + b + " position " + i);
                }
            }
            for (int step = 0; step < steps; step++) {
                int[] ids = new int[rows], positions = new int[rows];
                for (int b = 0; b < rows; b++) {
                    ids[b] = CONTINUATIONS[b][step];
                    positions[b] = promptLengths[b] + step;
                }
                float[] got = model.forwardCached(Tensor.ofInts(ids, rows, 1), Tensor.ofInts(positions, rows, 1),
                        keyMask, cache).toFloatArray();
                for (int b = 0; b < rows; b++) {
                    compare(want, (b * t + t0 + step) * c, got, b * c, c, "step " + step + " row " + b);
                }
            }
        }
    }

    private static void compare(float[] want, int wantFrom, float[] got, int gotFrom, int n, String what) {
        for (int j = 0; j < n; j++) {
            assertEquals(want[wantFrom + j], got[gotFrom + j], 1e-4 * Math.max(1, Math.abs(want[wantFrom + j])), what + " col " + j);
        }
    }
}
