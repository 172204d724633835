package dev.lathe.models.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.KvCache;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.io.Gpt2Config;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The adapters-off view of a LoRA model against an un-adapted copy of the same random weights (the base): equal
 * bit for bit, whatever B holds and whatever mode the adapted model is in.
 */
class AdaptersOffModelTest {
    private static final Gpt2Config CONFIG = Gpt2Config.of(11, 8, 12, 2, 2);
    private static final LoraConfig LORA = LoraConfig.causalLm(4, 8, 0, List.of("c_attn", "c_proj", "c_fc"), "tiny");
    private static final int[] IDS = {1, 4, 2, 9, 3, 7, 10, 10, 5, 0, 8, 6};
    private static final int[] LENGTHS = {6, 4};
    private static final int T = 6;

    @Test
    void givesTheBasesHiddenStatesBeforeAndAfterBMoves() {
        try (Gpt2Model base = Gpt2Model.random(CONFIG, new Random(5)); Gpt2Model policy = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel lora = LoraModel.attach(policy, LORA, new Random(1));
            var view = new AdaptersOffModel(policy, lora);
            float[] want = hidden(base);
            assertArrayEquals(want, hidden(view), "B = 0");
            assertArrayEquals(want, hidden(policy), "a fresh adapter is the identity");

            randomiseB(lora, new Random(2));
            float[] adapted = hidden(policy);
            assertTrue(maxDiff(want, adapted) > 1e-3, "B ≠ 0 changes the adapted model");
            assertArrayEquals(want, hidden(view), "the view still gives the base");
            assertArrayEquals(adapted, hidden(policy), "the adapters are back on after the view's pass");
            assertArrayEquals(logits(base, want), logits(view, want));
            assertArrayEquals(cached(base), cached(view));
        }
    }

    @Test
    void runsInEvaluationModeAndRestoresTheModelsMode() {
        try (Gpt2Model base = Gpt2Model.random(CONFIG, new Random(5)); Gpt2Model policy = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel lora = LoraModel.attach(policy, LORA, new Random(1));
            randomiseB(lora, new Random(2));
            Dropout.enableAll(policy, 0.5f, 7);
            var view = new AdaptersOffModel(policy, lora);
            base.eval();
            policy.train(true);
            try (var off = lora.disabled()) {
                assertTrue(maxDiff(hidden(base), hidden(policy)) > 1e-3, "dropout acts in training mode");
            }
            assertArrayEquals(hidden(base), hidden(view), "no dropout in the view's pass");
            assertTrue(policy.isTraining(), "the adapted model is back in training mode");
            assertFalse(view.isTraining());
        }
    }

    @Test
    void closingTheViewLeavesTheModelOpenAndItsParametersAreTheBases() {
        try (Gpt2Model base = Gpt2Model.random(CONFIG, new Random(5)); Gpt2Model policy = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel lora = LoraModel.attach(policy, LORA, new Random(1));
            randomiseB(lora, new Random(2));
            float[] adapted = hidden(policy);
            try (CausalLm view = new AdaptersOffModel(policy, lora)) {
                assertEquals(base.namedParameters().keySet(), view.namedParameters().keySet());
            }
            assertArrayEquals(adapted, hidden(policy));
        }
    }

    /** Hidden states [2·T, C] of the two left-padded rows, without autograd. */
    private static float[] hidden(CausalLm model) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            return model.forward(Tensor.ofInts(IDS, 2, T), Padding.positions(LENGTHS, T, Side.LEFT),
                    Padding.mask(LENGTHS, T, Side.LEFT)).toFloatArray();
        }
    }

    private static float[] logits(CausalLm model, float[] hidden) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            return model.logits(Tensor.of(hidden, 2, T, CONFIG.nEmbd())).toFloatArray();
        }
    }

    /** A 3-token prefill and two decode steps through the KV cache: hidden states of every step, concatenated. */
    private static float[] cached(CausalLm model) {
        int[] ids = {3, 9, 1, 4, 7};
        int c = CONFIG.nEmbd();
        float[] out = new float[ids.length * c];
        try (KvCache cache = model.newKvCache(1, ids.length); var s = Scope.open(); var noGrad = GradMode.off()) {
            float[] prefill = model.forwardCached(Tensor.ofInts(new int[] {3, 9, 1}, 1, 3),
                    Tensor.ofInts(new int[] {0, 1, 2}, 1, 3), null, cache).toFloatArray();
            System.arraycopy(prefill, 0, out, 0, 3 * c);
            for (int t = 3; t < ids.length; t++) {
                float[] h = model.forwardCached(Tensor.ofInts(new int[] {ids[t]}, 1, 1), Tensor.ofInts(new int[] {t}, 1, 1),
                        null, cache).toFloatArray();
                System.arraycopy(h, 0, out, t * c, c);
            }
        }
        return out;
    }

    private static void randomiseB(LoraModel lora, Random rng) {
        for (AdaptableLayer layer : lora.layers().values()) {
            Tensor b = layer.lora().b().weight();
            float[] v = new float[(int) b.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.5);
            b.copyFrom(v);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
