package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Llama (biases, untied head, explicit head_dim, Llama 3 rope scaling) and Qwen2 (q/k/v biases) against the
 * float64 {@link LlamaReference}: logits, and every parameter's gradient against the reference's central
 * differences.
 */
class LlamaFamilyReferenceTest {
    private static final int[] IDS = {1, 7, 4, 19, 0, 11, 5, 12, 3};

    @Test
    void llamaLogitsAndGradientsMatchFloat64() {
        check(LlamaConfigs.llama(), 11);
    }

    @Test
    void qwen2LogitsAndGradientsMatchFloat64() {
        check(LlamaConfigs.qwen2(), 12);
    }

    @Test
    void parametersCarryHuggingFaceNames() {
        try (LlamaModel llama = LlamaModel.random(LlamaConfigs.llama(), new Random(1));
             LlamaModel qwen2 = LlamaModel.random(LlamaConfigs.qwen2(), new Random(1))) {
            Map<String, Tensor> p = llama.namedParameters();
            assertEquals(6 * 4, p.get("model.layers.0.self_attn.q_proj.weight").dim(0));
            assertEquals(6 * 2, p.get("model.layers.1.self_attn.k_proj.bias").numel());
            assertTrue(p.containsKey("model.layers.0.self_attn.o_proj.bias"));
            assertTrue(p.containsKey("model.layers.0.mlp.down_proj.bias"));
            assertTrue(p.containsKey("lm_head.weight"));
            Map<String, Tensor> q = qwen2.namedParameters();
            assertTrue(q.containsKey("model.layers.0.self_attn.v_proj.bias"));
            assertTrue(!q.containsKey("model.layers.0.self_attn.o_proj.bias") && !q.containsKey("lm_head.weight"));
            assertTrue(!q.containsKey("model.layers.0.mlp.up_proj.bias"));
        }
    }

    private static void check(LlamaConfig config, long seed) {
        int t = IDS.length, v = config.vocabSize();
        try (LlamaModel model = LlamaConfigs.randomModel(config, seed)) {
            LlamaReference ref = new LlamaReference(config, model.namedParameters());
            double[] weights = new double[t * v];
            Random rng = new Random(seed + 100);
            for (int i = 0; i < weights.length; i++) weights[i] = rng.nextGaussian();
            try (var s = Scope.open()) {
                Tensor positions = Padding.positions(new int[] {t}, t, Side.RIGHT);
                Tensor logits = model.logits(model.forward(LlamaConfigs.ids(IDS), positions, null));
                float[] got = logits.toFloatArray();
                double[][] want = ref.logits(IDS);
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < v; j++) {
                        assertEquals(want[i][j], got[i * v + j], 1e-4 * Math.max(1, Math.abs(want[i][j])), "logit " + i + "," + j);
                    }
                }
                float[] wf = new float[weights.length];
                for (int i = 0; i < wf.length; i++) wf[i] = (float) weights[i];
                ReduceOps.sum(ElementwiseOps.mul(logits, Tensor.of(wf, 1, t, v))).backward();
            }
            for (var e : model.namedParameters().entrySet()) {
                float[] grad = e.getValue().grad().toFloatArray();
                for (int probe = 0; probe < 3; probe++) {
                    int i = rng.nextInt(grad.length);
                    double numeric = centralDifference(ref, e.getKey(), i, weights, v);
                    assertEquals(numeric, grad[i], 2e-3 * Math.max(1, Math.abs(numeric)), e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    /** d/dw Σ logits ⊙ G in float64, step 1e-5. */
    private static double centralDifference(LlamaReference ref, String name, int i, double[] weights, int v) {
        double orig = ref.get(name, i), h = 1e-5;
        ref.set(name, i, orig + h);
        double plus = weighted(ref.logits(IDS), weights, v);
        ref.set(name, i, orig - h);
        double minus = weighted(ref.logits(IDS), weights, v);
        ref.set(name, i, orig);
        return (plus - minus) / (2 * h);
    }

    private static double weighted(double[][] logits, double[] weights, int v) {
        double s = 0;
        for (int i = 0; i < logits.length; i++) for (int j = 0; j < v; j++) s += logits[i][j] * weights[i * v + j];
        return s;
    }
}
