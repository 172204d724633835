package dev.lathe.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.Fixtures;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import dev.lathe.models.io.Gpt2Config;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Backward through the whole model: SFT's next-token cross-entropy. */
class Gpt2GradientTest {

    @Test
    void sftLossGivesEveryParameterAFiniteNonZeroGradient() throws IOException {
        int[] ids = Fixtures.ints(Fixtures.expectedLogits().get("ids"));
        int t = ids.length;
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            model.attachValueHead(new Random(1));
            try (var s = Scope.open()) {
                int[] lengths = {t};
                Tensor hidden = model.forward(Tensor.ofInts(ids, 1, t), Padding.positions(lengths, t, Side.RIGHT), null);
                Tensor logits = model.logits(hidden).view(t, -1);
                Tensor loss = LossOps.crossEntropy(logits, Tensor.ofInts(targets(ids, lengths, t, Side.RIGHT)),
                        LossOps.IGNORE_INDEX);
                // The value head joins the graph as PPO's value loss would.
                ElementwiseOps.add(loss, ReduceOps.mean(model.valueHead().forward(hidden))).backward();
            }
            for (var e : model.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                assertNotNull(g, e.getKey() + " got no gradient");
                double sq = 0;
                for (float x : g.toFloatArray()) {
                    assertTrue(Float.isFinite(x), e.getKey() + " has a non-finite gradient");
                    sq += (double) x * x;
                }
                assertTrue(sq > 0, e.getKey() + " has an all-zero gradient");
            }
            model.zeroGrad();
        }
    }

    /**
     * A tiny random GPT-2 (vocab 11, n_embd 8, 2 heads, 2 layers), one row left-padded: the analytic gradients of
     * c_attn's weight, the tied embedding and an MLP bias against central differences of the float64 loss.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        Gpt2Config config = Gpt2Config.of(11, 8, 8, 2, 2);
        int t = 6;
        int[] lengths = {6, 4};
        int[] ids = {1, 4, 2, 9, 3, 7, 10, 10, 5, 0, 8, 6};
        int[] targets = targets(ids, lengths, t, Side.LEFT);
        try (Gpt2Model model = Gpt2Model.random(config, new Random(5));
             Tensor idsT = Tensor.ofInts(ids, 2, t); Tensor pos = Padding.positions(lengths, t, Side.LEFT);
             Tensor mask = Padding.mask(lengths, t, Side.LEFT); Tensor tgt = Tensor.ofInts(targets)) {
            // Unit-scale weights (LayerNorm gains and biases too) so that every gradient is well above float noise.
            Random rng = new Random(6);
            for (Tensor p : model.parameters()) {
                float[] v = new float[(int) p.numel()];
                for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.5 + (p.rank() == 1 ? 0.3 : 0));
                p.copyFrom(v);
            }
            try (var s = Scope.open()) {
                Tensor logits = model.logits(model.forward(idsT, pos, mask)).view(2 * t, -1);
                LossOps.crossEntropy(logits, tgt, LossOps.IGNORE_INDEX).backward();
            }
            for (String name : new String[] {"transformer.h.0.attn.c_attn.weight", "transformer.wte.weight",
                    "transformer.h.1.mlp.c_fc.bias", "transformer.ln_f.weight"}) {
                Tensor p = model.namedParameters().get(name);
                float[] analytic = p.grad().toFloatArray();
                double eps = 1e-2;
                for (int i = 0; i < p.numel(); i++) {
                    float orig = p.getFloat(i);
                    p.setFloat(i, (float) (orig + eps));
                    double plus = loss(model, idsT, pos, mask, targets);
                    p.setFloat(i, (float) (orig - eps));
                    double minus = loss(model, idsT, pos, mask, targets);
                    p.setFloat(i, orig);
                    double numeric = (plus - minus) / (2 * eps);
                    assertTrue(Math.abs(numeric - analytic[i]) <= 2e-3 + 2e-2 * Math.abs(numeric),
                            name + "[" + i + "]: analytic " + analytic[i] + ", numeric " + numeric);
                }
            }
            model.zeroGrad();
        }
    }

    /** Next-token targets of each row's real tokens, -100 at padding and at each row's last token. */
    private static int[] targets(int[] ids, int[] lengths, int t, Side side) {
        int[] out = new int[ids.length];
        Arrays.fill(out, LossOps.IGNORE_INDEX);
        for (int b = 0; b < lengths.length; b++) {
            int first = b * t + (side == Side.RIGHT ? 0 : t - lengths[b]);
            for (int i = first; i < first + lengths[b] - 1; i++) out[i] = ids[i + 1];
        }
        return out;
    }

    /** Mean cross-entropy over the counted targets, in float64 from the model's logits. */
    private static double loss(Gpt2Model model, Tensor ids, Tensor pos, Tensor mask, int[] targets) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            float[] logits = model.logits(model.forward(ids, pos, mask)).toFloatArray();
            int v = model.config().vocabSize();
            double total = 0;
            int counted = 0;
            for (int r = 0; r < targets.length; r++) {
                if (targets[r] == LossOps.IGNORE_INDEX) continue;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < v; j++) max = Math.max(max, logits[r * v + j]);
                for (int j = 0; j < v; j++) sum += Math.exp(logits[r * v + j] - max);
                total += max + Math.log(sum) - logits[r * v + targets[r]];
                counted++;
            }
            return total / counted;
        }
    }
}
