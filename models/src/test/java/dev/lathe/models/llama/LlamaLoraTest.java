package dev.lathe.models.llama;

import static dev.lathe.models.lora.LoraTestRows.backwardOfLoss;
import static dev.lathe.models.lora.LoraTestRows.logits;
import static dev.lathe.models.lora.LoraTestRows.randomiseB;
import static dev.lathe.models.lora.LoraTestRows.roundToBf16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.CausalLm;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.lora.AdaptableLayer;
import dev.lathe.models.lora.AdaptersOffModel;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraMerge;
import dev.lathe.models.lora.LoraLinearReference;
import dev.lathe.models.lora.LoraModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA on the Llama family's Linear projections (PEFT's fan_in_fan_out false): identity at init, frozen base,
 * PEFT's files and key names, merge, adapters off, BF16 base — on small random Qwen3 and Llama models.
 */
class LlamaLoraTest {

    @TempDir
    Path dir;

    /** Qwen3: per-head q/k norms, head_dim 8 ≠ 24/4, GQA 4/2, tied head, no biases. */
    static LlamaConfig qwen3() {
        return LlamaConfig.parse(LlamaConfigs.json("""
                {"model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"], "vocab_size": 23, "hidden_size": 24,
                 "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "head_dim": 8, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "attention_bias": false,
                 "tie_word_embeddings": true, "max_position_embeddings": 64, "eos_token_id": 3}"""));
    }

    @Test
    void aFreshAdapterLeavesTheLogitsUnchangedExactly() {
        for (LlamaConfig config : List.of(qwen3(), LlamaConfigs.llama())) {
            try (LlamaModel model = LlamaConfigs.randomModel(config, 5)) {
                float[] before = logits(model);
                LoraModel lora = LoraModel.attach(model, lora(4, 8, LoraConfig.LLAMA_PROJECTIONS), new Random(1));
                assertEquals(7 * config.numLayers(), lora.layers().size());
                assertArrayEquals(before, logits(model), config.family().toString());
            }
        }
    }

    @Test
    void theDefaultTargetsAreQAndVAndOnlyTheirAdaptersReceiveGradients() {
        try (LlamaModel model = LlamaConfigs.randomModel(qwen3(), 5)) {
            assertEquals(List.of("q_proj", "v_proj"), LoraConfig.defaultTargets(model));
            LoraModel lora = LoraModel.attach(model, lora(4, 8, LoraConfig.defaultTargets(model)), new Random(1));
            assertEquals(Set.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                    "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"), lora.layers().keySet());
            randomiseB(lora, new Random(2));
            backwardOfLoss(model);
            Map<String, Tensor> trainable = lora.trainableParameters();
            assertEquals(2 * 2 * 2, trainable.size(), trainable.keySet().toString());
            model.namedParameters().forEach((name, p) -> {
                if (name.contains(".lora_")) {
                    assertTrue(trainable.containsKey(name), name);
                    assertNotNull(p.grad(), name + " got no gradient");
                    assertTrue(maxAbs(p.grad().toFloatArray()) > 0, name + " has an all-zero gradient");
                } else {
                    assertFalse(p.requiresGrad(), name + " is not frozen");
                    assertNull(p.grad(), name + " got a gradient");
                }
            });
            model.zeroGrad();
        }
    }

    /** A one-layer module so that LoraModel finds the Linear under the name "proj". */
    private static final class OneLayer extends dev.lathe.core.nn.Module {
        final LlamaLinear proj;

        OneLayer(int in, int out, Random rng) {
            proj = child("proj", new LlamaLinear(in, out, true, new LlamaInit(rng, 0.5f)));
        }
    }

    /** y = x Wᵀ + b + s · x Aᵀ Bᵀ and the gradients of x, A and B on odd sizes, against float64. */
    @Test
    void aLoraLinearMatchesFloat64ForwardAndBackward() {
        int batch = 2, t = 3, rows = batch * t, in = 7, out = 11, r = 3;
        double alpha = 5, s = alpha / r;
        Random rng = new Random(3);
        try (OneLayer m = new OneLayer(in, out, rng)) {
            float[] bias = gaussian(rng, out);
            m.proj.bias().copyFrom(bias);
            LoraModel lora = LoraModel.attach(m, lora(r, alpha, List.of("proj")), rng);
            float[] w = m.proj.weight().toFloatArray(), a = m.proj.lora().a().weight().toFloatArray();
            float[] b = gaussian(rng, out * r);
            m.proj.lora().b().weight().copyFrom(b);
            float[] x = gaussian(rng, rows * in), g = gaussian(rng, rows * out);
            float[] y;
            Tensor xt = Tensor.of(x, batch, t, in).requiresGrad(true);
            try (var scope = Scope.open()) {
                Tensor yt = m.proj.forward(xt);
                assertArrayEquals(new int[] {batch, t, out}, yt.shape());
                y = yt.toFloatArray();
                ReduceOps.sum(ElementwiseOps.mul(yt, Tensor.of(g, batch, t, out))).backward();
            }
            LoraLinearReference.check(rows, in, out, r, s, false, x, w, bias, a, b, g, y,
                    m.proj.lora().a().weight().grad().toFloatArray(), m.proj.lora().b().weight().grad().toFloatArray(),
                    xt.grad().toFloatArray());
            assertNull(m.proj.weight().grad());
            assertNull(m.proj.bias().grad());
            assertEquals(2, lora.trainableParameters().size());
            xt.close();
        }
    }

    @Test
    void theMergedModelComputesTheAdaptedModelsLogitsAndAdaptersOffGiveTheBase() throws IOException {
        for (LlamaConfig config : List.of(qwen3(), LlamaConfigs.llama())) {
            Path out = dir.resolve(config.family().toString());
            float[] adapted, base;
            try (LlamaModel model = LlamaConfigs.randomModel(config, 5)) {
                base = logits(model);
                LoraModel lora = LoraModel.attach(model, lora(4, 16, LoraConfig.LLAMA_PROJECTIONS), new Random(1));
                randomiseB(lora, new Random(2));
                adapted = logits(model);
                try (var off = lora.disabled()) {
                    assertArrayEquals(base, logits(model), "adapters switched off give the base model");
                }
                assertArrayEquals(adapted, logits(model), "switched back on");
                try (CausalLm reference = new AdaptersOffModel(model, lora)) {
                    assertArrayEquals(base, logits(reference), "the adapters-off view is the base model");
                    assertEquals(model.namedParameters().size() - 2 * lora.layers().size(), reference.namedParameters().size());
                }
                assertArrayEquals(adapted, logits(model), "the view leaves the adapters on");
                lora.save(out, null);
            }
            assertTrue(maxDiff(base, adapted) > 1e-2, "the adapter changes the logits");
            try (LlamaModel model = LlamaConfigs.randomModel(config, 5)) {
                LoraMerge.mergeInto(model, out);
                float[] merged = logits(model);
                for (int i = 0; i < merged.length; i++) {
                    assertTrue(Math.abs(merged[i] - adapted[i]) <= 1e-4 * Math.max(1, Math.abs(adapted[i])),
                            config.family() + " logit " + i + ": merged " + merged[i] + ", adapted " + adapted[i]);
                }
            }
        }
    }

    @Test
    void savedFilesHavePeftsLinearLayoutAndRoundTripBitIdentically() throws IOException {
        LlamaConfig config = qwen3();
        LoraConfig lora = lora(3, 6, List.of("q_proj", "mlp.down_proj"));
        Map<String, float[]> saved = new HashMap<>();
        try (LlamaModel model = LlamaConfigs.randomModel(config, 5)) {
            LoraModel adapters = LoraModel.attach(model, lora, new Random(1));
            randomiseB(adapters, new Random(2));
            adapters.adapterParameters().forEach((k, p) -> saved.put(k, p.toFloatArray()));
            adapters.save(dir, null);
        }
        Set<String> want = new TreeSet<>();
        int c = config.hiddenSize();
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve(LoraModel.WEIGHTS))) {
            for (int l = 0; l < config.numLayers(); l++) {
                String q = "base_model.model.model.layers." + l + ".self_attn.q_proj.";
                String down = "base_model.model.model.layers." + l + ".mlp.down_proj.";
                want.addAll(List.of(q + "lora_A.weight", q + "lora_B.weight", down + "lora_A.weight", down + "lora_B.weight"));
                assertArrayEquals(new int[] {3, c}, reader.info(q + "lora_A.weight").shape());
                assertArrayEquals(new int[] {config.qWidth(), 3}, reader.info(q + "lora_B.weight").shape());
                assertArrayEquals(new int[] {3, config.intermediateSize()}, reader.info(down + "lora_A.weight").shape());
                assertArrayEquals(new int[] {c, 3}, reader.info(down + "lora_B.weight").shape());
            }
            assertEquals(want, reader.names());
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve(LoraConfig.FILE).toFile());
        assertFalse(json.get("fan_in_fan_out").asBoolean(), "Linear layers are not fan_in_fan_out");
        assertEquals(List.of("q_proj", "mlp.down_proj"), List.of(json.get("target_modules").get(0).asText(),
                json.get("target_modules").get(1).asText()));
        assertEquals(lora, LoraConfig.read(dir));
        try (LlamaModel model = LlamaConfigs.randomModel(config, 5)) {
            LoraModel loaded = LoraModel.load(model, dir);
            assertEquals(saved.keySet(), loaded.adapterParameters().keySet());
            loaded.adapterParameters().forEach((k, p) -> assertArrayEquals(saved.get(k), p.toFloatArray(), k));
        }
    }

    /** BF16-exact projection weights computed from a BF16 copy give the same logits and adapter gradients. */
    @Test
    void aBf16BaseComputesLikeItsF32Values() {
        LlamaConfig config = LlamaConfigs.llama(); // untied lm_head: it must stay F32
        try (LlamaModel f32 = LlamaConfigs.randomModel(config, 5); LlamaModel bf16 = LlamaConfigs.randomModel(config, 5)) {
            LoraModel a = LoraModel.attach(f32, lora(4, 8, LoraConfig.LLAMA_TARGETS), new Random(1));
            LoraModel b = LoraModel.attach(bf16, lora(4, 8, LoraConfig.LLAMA_TARGETS), new Random(1));
            randomiseB(a, new Random(2));
            randomiseB(b, new Random(2));
            f32.namedModules().values().forEach(m -> {
                if (m instanceof AdaptableLayer layer) roundToBf16(layer.weight());
            });
            b.storeFrozenWeightsAsBf16();
            bf16.namedParameters().forEach((name, p) -> {
                boolean projection = name.endsWith("_proj.weight");
                assertEquals(projection ? DType.BF16 : DType.F32, p.dtype(), name);
            });
            assertArrayEquals(logits(f32), logits(bf16));
            backwardOfLoss(f32);
            backwardOfLoss(bf16);
            var gb = b.trainableParameters();
            a.trainableParameters().forEach((k, p) -> assertArrayEquals(p.grad().toFloatArray(),
                    gb.get(k).grad().toFloatArray(), k));
            f32.zeroGrad();
            bf16.zeroGrad();
        }
    }

    private static LoraConfig lora(int r, double alpha, List<String> targets) {
        return LoraConfig.causalLm(r, alpha, 0, targets, "tiny");
    }

    private static float[] gaussian(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
