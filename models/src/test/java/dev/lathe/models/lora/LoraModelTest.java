package dev.lathe.models.lora;

import static dev.lathe.models.lora.LoraTestRows.IDS;
import static dev.lathe.models.lora.LoraTestRows.LENGTHS;
import static dev.lathe.models.lora.LoraTestRows.T;
import static dev.lathe.models.lora.LoraTestRows.backwardOfLoss;
import static dev.lathe.models.lora.LoraTestRows.logits;
import static dev.lathe.models.lora.LoraTestRows.randomiseB;
import static dev.lathe.models.lora.LoraTestRows.roundToBf16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA on a small random GPT-2: identity at init, frozen base, PEFT's files, merge, adapters off, BF16 base. */
class LoraModelTest {
    private static final Gpt2Config CONFIG = Gpt2Config.of(11, 8, 12, 2, 2);
    private static final List<String> ALL = List.of("c_attn", "c_proj", "c_fc");

    @TempDir
    Path dir;

    @Test
    void aFreshAdapterLeavesTheLogitsUnchangedExactly() {
        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            float[] before = logits(model);
            LoraModel.attach(model, LoraConfig.causalLm(4, 8, 0, ALL, "tiny"), new Random(1));
            assertArrayEquals(before, logits(model));
        }
    }

    @Test
    void onlyTheAdaptersReceiveGradients() {
        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel lora = LoraModel.attach(model, LoraConfig.causalLm(4, 8, 0, ALL, "tiny"), new Random(1));
            randomiseB(lora, new Random(2));
            backwardOfLoss(model);
            Map<String, Tensor> trainable = lora.trainableParameters();
            assertEquals(2 * 4 * CONFIG.nLayer(), trainable.size(), trainable.keySet().toString());
            model.namedParameters().forEach((name, p) -> {
                if (name.contains(".lora_")) {
                    assertTrue(trainable.containsKey(name), name);
                    assertNotNull(p.grad(), name + " got no gradient");
                    assertTrue(norm(p.grad().toFloatArray()) > 0, name + " has an all-zero gradient");
                } else {
                    assertTrue(!p.requiresGrad(), name + " is not frozen");
                    assertNull(p.grad(), name + " got a gradient");
                }
            });
            model.zeroGrad();
        }
    }

    @Test
    void savedFilesHavePeftsLayoutAndRoundTripBitIdentically() throws IOException {
        LoraConfig config = LoraConfig.causalLm(3, 6, 0.05, List.of("c_attn", "mlp.c_proj"), "tiny");
        Map<String, float[]> saved = new java.util.HashMap<>();
        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel lora = LoraModel.attach(model, config, new Random(1));
            randomiseB(lora, new Random(2));
            lora.adapterParameters().forEach((k, p) -> saved.put(k, p.toFloatArray()));
            lora.save(dir, null);
        }
        Set<String> want = new TreeSet<>();
        int c = CONFIG.nEmbd();
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve(LoraModel.WEIGHTS))) {
            for (int l = 0; l < CONFIG.nLayer(); l++) {
                String attn = "base_model.model.transformer.h." + l + ".attn.c_attn.";
                String mlp = "base_model.model.transformer.h." + l + ".mlp.c_proj.";
                want.addAll(List.of(attn + "lora_A.weight", attn + "lora_B.weight", mlp + "lora_A.weight", mlp + "lora_B.weight"));
                assertArrayEquals(new int[] {3, c}, reader.info(attn + "lora_A.weight").shape());
                assertArrayEquals(new int[] {3 * c, 3}, reader.info(attn + "lora_B.weight").shape());
                assertArrayEquals(new int[] {3, 4 * c}, reader.info(mlp + "lora_A.weight").shape());
                assertArrayEquals(new int[] {c, 3}, reader.info(mlp + "lora_B.weight").shape());
            }
            assertEquals(want, reader.names());
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve(LoraConfig.FILE).toFile());
        assertEquals("LORA", json.get("peft_type").asText());
        assertEquals("CAUSAL_LM", json.get("task_type").asText());
        assertEquals(3, json.get("r").asInt());
        assertEquals(6, json.get("lora_alpha").asInt());
        assertEquals(0.05, json.get("lora_dropout").asDouble());
        assertTrue(json.get("fan_in_fan_out").asBoolean());
        assertEquals("none", json.get("bias").asText());
        assertEquals("tiny", json.get("base_model_name_or_path").asText());
        assertEquals(config, LoraConfig.read(dir));

        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel loaded = LoraModel.load(model, dir);
            assertEquals(saved.keySet(), loaded.adapterParameters().keySet());
            loaded.adapterParameters().forEach((k, p) -> assertArrayEquals(saved.get(k), p.toFloatArray(), k));
        }
    }

    @Test
    void theMergedModelComputesTheAdaptedModelsLogits() throws IOException {
        float[] adapted;
        float[] base;
        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            base = logits(model);
            LoraModel lora = LoraModel.attach(model, LoraConfig.causalLm(4, 16, 0, ALL, "tiny"), new Random(1));
            randomiseB(lora, new Random(2));
            adapted = logits(model);
            try (var off = lora.disabled()) {
                assertArrayEquals(base, logits(model), "adapters switched off give the base model");
            }
            assertArrayEquals(adapted, logits(model), "switched back on");
            lora.save(dir, null);
        }
        assertTrue(maxDiff(base, adapted) > 1e-2, "the adapter changes the logits");
        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraMerge.mergeInto(model, dir);
            float[] merged = logits(model);
            for (int i = 0; i < merged.length; i++) {
                assertTrue(Math.abs(merged[i] - adapted[i]) <= 1e-4 * Math.max(1, Math.abs(adapted[i])),
                        "logit " + i + ": merged " + merged[i] + ", adapted " + adapted[i]);
            }
        }
    }

    /** Weights that are exact BF16 values computed from a BF16 copy give the same logits and adapter gradients. */
    @Test
    void aBf16BaseComputesLikeItsF32Values() {
        try (Gpt2Model f32 = Gpt2Model.random(CONFIG, new Random(5)); Gpt2Model bf16 = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel a = LoraModel.attach(f32, LoraConfig.causalLm(4, 8, 0, ALL, "tiny"), new Random(1));
            LoraModel b = LoraModel.attach(bf16, LoraConfig.causalLm(4, 8, 0, ALL, "tiny"), new Random(1));
            randomiseB(a, new Random(2));
            randomiseB(b, new Random(2));
            for (AdaptableLayer layer : a.layers().values()) roundToBf16(layer.weight());
            b.storeFrozenWeightsAsBf16();
            for (AdaptableLayer layer : b.layers().values()) assertEquals(DType.BF16, layer.weight().dtype());
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

    @Test
    void dropoutActsInTrainingModeOnly() {
        try (Gpt2Model model = Gpt2Model.random(CONFIG, new Random(5))) {
            LoraModel lora = LoraModel.attach(model, LoraConfig.causalLm(4, 8, 0.5, ALL, "tiny"), new Random(1));
            randomiseB(lora, new Random(2));
            model.train(false);
            float[] eval = logits(model);
            assertArrayEquals(eval, logits(model));
            model.train(true);
            float[] trained;
            try (var s = Scope.open()) {
                trained = model.logits(model.forward(Tensor.ofInts(IDS, 2, T), Padding.positions(LENGTHS, T, Side.LEFT),
                        Padding.mask(LENGTHS, T, Side.LEFT))).toFloatArray();
            }
            assertTrue(maxDiff(eval, trained) > 1e-3, "dropout changed nothing in training mode");
        }
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
