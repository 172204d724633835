package dev.lathe.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.models.Fixtures;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.io.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading the three reference checkpoints, and saving that reproduces them byte for byte. */
class Gpt2CheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void policyLoadsWithHuggingFaceNames() throws IOException {
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            Map<String, Tensor> params = model.namedParameters();
            assertEquals(4 + 2 * 12, params.size());
            assertArrayEquals(new int[] {32, 96}, params.get("transformer.h.0.attn.c_attn.weight").shape());
            assertArrayEquals(new int[] {128, 32}, params.get("transformer.h.1.mlp.c_proj.weight").shape());
            assertArrayEquals(new int[] {50257, 32}, params.get("transformer.wte.weight").shape());
            assertEquals(DType.BF16, model.checkpointDtype());
            params.values().forEach(p -> assertEquals(DType.F32, p.dtype()));
        }
    }

    /** ref/ stores F16 under keys without the transformer. prefix: every parameter is its F16 value, widened. */
    @Test
    void refLoadsUnprefixedF16Keys() throws IOException {
        Path dir = Fixtures.gpt2Tiny("ref");
        try (Gpt2Model model = Gpt2Model.load(dir); var reader = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            assertEquals(DType.F16, model.checkpointDtype());
            for (var e : model.namedParameters().entrySet()) {
                String key = e.getKey().substring("transformer.".length());
                try (Tensor stored = reader.read(key)) {
                    assertEquals(DType.F16, stored.dtype());
                    short[] halves = stored.segment().toArray(ValueLayout.JAVA_SHORT);
                    float[] got = e.getValue().toFloatArray();
                    for (int i = 0; i < got.length; i++) assertEquals(Float.float16ToFloat(halves[i]), got[i], key);
                }
            }
        }
    }

    /** F32 save of the F32 reward model, and BF16 save of the BF16 policy, write the reference files' exact bytes. */
    @Test
    void savingReproducesTheReferenceFiles() throws IOException {
        try (Gpt2RewardModel rm = Gpt2RewardModel.load(Fixtures.gpt2Tiny("rm"))) {
            rm.save(tmp.resolve("rm"), DType.F32);
        }
        assertArrayEquals(Files.readAllBytes(Fixtures.gpt2Tiny("rm").resolve("model.safetensors")),
                Files.readAllBytes(tmp.resolve("rm/model.safetensors")));
        try (Gpt2Model policy = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            policy.save(tmp.resolve("policy"), DType.BF16);
        }
        assertArrayEquals(Files.readAllBytes(Fixtures.gpt2Tiny("policy").resolve("model.safetensors")),
                Files.readAllBytes(tmp.resolve("policy/model.safetensors")));
    }

    @Test
    void saveThenLoadIsBitIdentical() throws IOException {
        // F32: a trained-looking model (random weights, no rounding anywhere).
        Gpt2Config config = Gpt2Config.of(50, 16, 8, 2, 2);
        try (Gpt2Model model = Gpt2Model.random(config, new Random(1))) {
            model.save(tmp.resolve("f32"), DType.F32);
            try (Gpt2Model back = Gpt2Model.load(tmp.resolve("f32"))) {
                assertBitwiseEqual(model.namedParameters(), back.namedParameters());
                assertEquals(config.withTorchDtype(DType.F32), back.config());
            }
        }
        // BF16 and F16: values that came from those types survive F32 compute and re-rounding unchanged.
        for (String which : new String[] {"policy", "ref"}) {
            try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny(which))) {
                Path dir = tmp.resolve(which);
                model.save(dir, model.checkpointDtype());
                try (Gpt2Model back = Gpt2Model.load(dir)) {
                    assertBitwiseEqual(model.namedParameters(), back.namedParameters());
                    assertEquals(model.checkpointDtype(), back.checkpointDtype());
                }
            }
        }
    }

    @Test
    void valueHeadIsSavedAndLoadedWithTheModel() throws IOException {
        try (Gpt2Model model = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            assertEquals(null, model.valueHead());
            model.attachValueHead(new Random(7));
            assertArrayEquals(new int[] {1, 32}, model.namedParameters().get("v_head.summary.weight").shape());
            assertArrayEquals(new int[] {1}, model.namedParameters().get("v_head.summary.bias").shape());
            model.save(tmp, DType.F32);
            try (Gpt2Model back = Gpt2Model.load(tmp)) {
                assertNotNull(back.valueHead());
                assertBitwiseEqual(model.namedParameters(), back.namedParameters());
            }
        }
    }

    @Test
    void tokenizerFilesAreCopiedWhenPresent() throws IOException {
        Path source = Files.createDirectories(tmp.resolve("tokenizer"));
        Files.writeString(source.resolve("vocab.json"), "{\"a\": 0}");
        Files.writeString(source.resolve("merges.txt"), "#version: 0.2\n");
        try (Gpt2Model model = Gpt2Model.random(Gpt2Config.of(11, 8, 8, 1, 2), new Random(2))) {
            model.save(tmp.resolve("out"), DType.F32, source);
        }
        assertEquals("{\"a\": 0}", Files.readString(tmp.resolve("out/vocab.json")));
        assertEquals("#version: 0.2\n", Files.readString(tmp.resolve("out/merges.txt")));
        assertFalse(Files.exists(tmp.resolve("out/tokenizer.json")));
    }

    @Test
    void missingOrMisShapedTensorsNameTheKey() throws IOException {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Model.load(rewrite("missing", t -> t.remove("transformer.ln_f.bias"))));
        assertTrue(missing.getMessage().contains("transformer.ln_f.bias") && missing.getMessage().contains("[32]"),
                missing.getMessage());

        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Model.load(rewrite("shape", t -> t.put("transformer.wpe.weight", Tensor.zeros(64, 32)))));
        assertTrue(shape.getMessage().contains("transformer.wpe.weight") && shape.getMessage().contains("[64, 32]")
                && shape.getMessage().contains("[128, 32]"), shape.getMessage());

        IllegalArgumentException head = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Model.load(rewrite("head", t -> t.put("lm_head.weight", Tensor.zeros(7, 32)))));
        assertTrue(head.getMessage().contains("lm_head.weight") && head.getMessage().contains("[7, 32]"), head.getMessage());
    }

    /** A checkpoint that also stores the tied lm_head (as some exports do) loads; the head is wte. */
    @Test
    void storedTiedHeadIsAccepted() throws IOException {
        Path dir = rewrite("tied", t -> t.put("lm_head.weight", t.get("transformer.wte.weight")));
        try (Gpt2Model model = Gpt2Model.load(dir); Gpt2Model policy = Gpt2Model.load(Fixtures.gpt2Tiny("policy"))) {
            assertBitwiseEqual(policy.namedParameters(), model.namedParameters());
        }
    }

    /** The policy's folder rewritten (F32) after {@code edit} changed its tensor map. */
    private Path rewrite(String name, Consumer<Map<String, Tensor>> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path src = Fixtures.gpt2Tiny("policy");
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        try (Gpt2Model model = Gpt2Model.load(src)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>(model.namedParameters());
            edit.accept(tensors);
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, DType.F32);
            tensors.values().forEach(t -> {
                if (!model.namedParameters().containsValue(t)) t.close();
            });
        }
        return dir;
    }

    static void assertBitwiseEqual(Map<String, Tensor> want, Map<String, Tensor> got) {
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            assertArrayEquals(want.get(k).segment().toArray(ValueLayout.JAVA_INT),
                    got.get(k).segment().toArray(ValueLayout.JAVA_INT), k);
        }
    }
}
