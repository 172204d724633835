package dev.lathe.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.KvCache;
import dev.lathe.models.Fixtures;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cached forward (prefill of a left-padded batch, then one token per step) against the plain forward over
 * the whole padded sequence: the same hidden states at every real position.
 */
class Gpt2CachedForwardTest {
    private static final double TOL = 1e-4;

    @Test
    void prefillAndDecodeStepsMatchTheFullForward() throws IOException {
        int[] lengths = {9, 5};
        int prompt = 9, steps = 3, total = prompt + steps, batch = lengths.length, eos = 50256;
        Random rng = new Random(5);
        int[] ids = new int[batch * total];
        Arrays.fill(ids, eos);
        for (int b = 0; b < batch; b++) {
            for (int i = prompt - lengths[b]; i < total; i++) ids[b * total + i] = rng.nextInt(eos);
        }
        int[] fullLengths = {lengths[0] + steps, lengths[1] + steps};
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
             KvCache cache = model.newKvCache(batch, total);
             var s = Scope.open(); var noGrad = GradMode.off()) {
            int c = model.config().nEmbd();
            float[] full = model.forward(Tensor.ofInts(ids, batch, total), Padding.positions(fullLengths, total, Side.LEFT),
                    Padding.mask(fullLengths, total, Side.LEFT)).toFloatArray();

            // Key mask over the whole cache: the prompts' left padding is 0, the generated columns 1.
            Tensor keyMask = Padding.mask(fullLengths, total, Side.LEFT);
            int[] promptIds = new int[batch * prompt];
            for (int b = 0; b < batch; b++) System.arraycopy(ids, b * total, promptIds, b * prompt, prompt);
            float[] prefill = model.forwardCached(Tensor.ofInts(promptIds, batch, prompt),
                    Padding.positions(lengths, prompt, Side.LEFT), keyMask, cache).toFloatArray();
            for (int b = 0; b < batch; b++) {
                for (int i = prompt - lengths[b]; i < prompt; i++) {
                    compare(full, (b * total + i) * c, prefill, (b * prompt + i) * c, c, "prefill row " + b + " column " + i);
                }
            }
            for (int step = 0; step < steps; step++) {
                int col = prompt + step;
                int[] next = {ids[col], ids[total + col]};
                int[] pos = {lengths[0] + step, lengths[1] + step};
                float[] h = model.forwardCached(Tensor.ofInts(next, batch, 1), Tensor.ofInts(pos, batch, 1), keyMask, cache)
                        .toFloatArray();
                for (int b = 0; b < batch; b++) compare(full, (b * total + col) * c, h, b * c, c, "step " + step + " row " + b);
            }
            assertEquals(total, cache.length());
        }
    }

    @Test
    void rejectsACacheOfAnotherShape() throws IOException {
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
             KvCache cache = model.newKvCache(3, 8);
             var s = Scope.open()) {
            Tensor ids = Tensor.ofInts(new int[] {1, 2, 3, 4}, 2, 2);
            assertThrows(IllegalArgumentException.class, () -> model.forwardCached(ids, ids, null, cache));
        }
    }

    private static void compare(float[] want, int wantFrom, float[] got, int gotFrom, int n, String what) {
        for (int j = 0; j < n; j++) {
            float w = want[wantFrom + j], g = got[gotFrom + j];
            if (Math.abs(w - g) > TOL) throw new AssertionError(what + " channel " + j + ": got " + g + ", want " + w);
        }
    }
}
