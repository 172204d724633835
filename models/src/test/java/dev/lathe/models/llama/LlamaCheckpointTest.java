package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.LogitsProbe;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import dev.lathe.models.io.SafetensorsShards;
import dev.lathe.models.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints, save and reload, the F16 reference, and a frozen model kept in BF16. */
class LlamaCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void shardedCheckpointLoadsAsTheSingleFile() throws IOException {
        Path dir = tmp.resolve("sharded");
        Files.createDirectories(dir);
        Files.copy(Qwen3Fixture.dir("policy").resolve("config.json"), dir.resolve("config.json"));
        try (LlamaModel single = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            Map<String, Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
            StringBuilder map = new StringBuilder();
            single.namedParameters().forEach((name, p) -> {
                boolean one = name.startsWith("model.layers.0.") || name.startsWith("model.embed_tokens");
                (one ? first : second).put(name, p);
                map.append(map.isEmpty() ? "" : ",").append('"').append(name).append("\": \"model-0000")
                        .append(one ? 1 : 2).append("-of-00002.safetensors\"");
            });
            SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, DType.BF16);
            SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, DType.BF16);
            Files.writeString(dir.resolve(SafetensorsShards.INDEX), "{\"metadata\": {}, \"weight_map\": {" + map + "}}");
            try (LlamaModel sharded = LlamaModel.load(dir); var s = Scope.open()) {
                single.namedParameters().forEach((name, p) ->
                        assertArrayEquals(p.toFloatArray(), sharded.namedParameters().get(name).toFloatArray(), name));
            }
        }
    }

    @Test
    void indexNamingATensorItsShardLacksIsRejected() throws IOException {
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        try (var s = Scope.open()) {
            SafetensorsWriter.write(dir.resolve("a.safetensors"), Map.of("x", Tensor.zeros(2)), DType.F32);
        }
        Files.writeString(dir.resolve(SafetensorsShards.INDEX), "{\"weight_map\": {\"y\": \"a.safetensors\"}}");
        var e = assertThrows(IllegalArgumentException.class, () -> SafetensorsShards.open(dir));
        assertTrue(e.getMessage().contains("'y'"), e.getMessage());
    }

    @Test
    void savedModelReloadsWithTheSameWeightsAndConfig() throws IOException {
        Path dir = tmp.resolve("saved");
        try (LlamaModel model = LlamaConfigs.randomModel(LlamaConfigs.llama(), 5)) {
            model.save(dir, DType.F32);
            try (LlamaModel back = LlamaModel.load(dir); var s = Scope.open()) {
                assertEquals(model.config().ropeScaling(), back.config().ropeScaling());
                assertEquals(model.namedParameters().keySet(), back.namedParameters().keySet());
                model.namedParameters().forEach((name, p) ->
                        assertArrayEquals(p.toFloatArray(), back.namedParameters().get(name).toFloatArray(), name));
            }
        }
    }

    /** The F16 reference model loads, and the BF16 policy frozen in BF16 still gives PyTorch's logits. */
    @Test
    void frozenBf16PolicyKeepsItsLogits() throws IOException {
        JsonNode probe = Qwen3Fixture.expected().get("logits");
        int[] ids = dev.lathe.models.Fixtures.ints(probe.get("ids"));
        int t = ids.length;
        try (LlamaModel ref = LlamaModel.load(Qwen3Fixture.dir("ref"));
             LlamaModel policy = LlamaModel.load(Qwen3Fixture.dir("policy"))) {
            assertEquals(DType.F16, ref.checkpointDtype());
            policy.freezeAsBf16();
            Tensor q = policy.namedParameters().get("model.layers.0.self_attn.q_proj.weight");
            assertEquals(DType.BF16, q.dtype());
            assertFalse(q.requiresGrad());
            try (var s = Scope.open(); var noGrad = GradMode.off()) {
                Tensor hidden = policy.forward(Tensor.ofInts(ids, 1, t), Padding.positions(new int[] {t}, t, Side.RIGHT), null);
                LogitsProbe.checkPositions(probe, policy.logits(hidden).toFloatArray(), t,
                        policy.config().vocabSize(), "frozen BF16");
            }
        }
    }
}
