package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.models.io.SafetensorsShards;
import dev.lathe.models.io.SafetensorsWriter;
import dev.lathe.models.io.TensorInfo;
import dev.lathe.models.io.TokenizerFileCopy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Hugging Face folder of a Llama-family model: {@code config.json} and the weights in one
 * {@code model.safetensors} or sharded behind {@code model.safetensors.index.json}. Parameters carry Hugging
 * Face's names ({@code model.layers.0.self_attn.q_proj.weight}, {@code lm_head.weight}, {@code score.weight}).
 */
final class LlamaCheckpoint {
    static final String CONFIG = "config.json";
    static final String LM_HEAD = "lm_head.weight";

    private LlamaCheckpoint() {}

    static LlamaConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + CONFIG);
        return LlamaConfig.read(file);
    }

    /**
     * Overwrites every parameter with its tensor in the weights (converted to the parameter's type) and reports
     * the keys no parameter took on stderr, except a tied {@code lm_head.weight} (shape-checked against the
     * embedding) and old checkpoints' rotary {@code inv_freq} buffers. A missing or mis-shaped tensor is an
     * IllegalArgumentException naming the key and both shapes.
     */
    static void load(SafetensorsShards weights, Map<String, Tensor> params, Tensor tiedEmbedding) {
        Set<String> unused = new TreeSet<>(weights.names());
        for (var p : params.entrySet()) {
            String key = p.getKey();
            Tensor param = p.getValue();
            if (!weights.contains(key)) {
                throw new IllegalArgumentException(weights.source() + ": missing tensor '" + key + "' of shape "
                        + Arrays.toString(param.shape()));
            }
            requireShape(weights, key, param.shape());
            weights.readInto(key, param);
            unused.remove(key);
        }
        if (tiedEmbedding != null && unused.remove(LM_HEAD)) requireShape(weights, LM_HEAD, tiedEmbedding.shape());
        unused.removeIf(k -> k.endsWith(".rotary_emb.inv_freq"));
        if (!unused.isEmpty()) {
            System.err.println("[lathe] " + weights.source() + ": ignoring tensors the model does not use: " + unused);
        }
    }

    /** The floating type the checkpoint stores its embedding in (what a plain re-save would use). */
    static DType storedType(SafetensorsShards weights) {
        String key = "model.embed_tokens.weight";
        DType t = weights.contains(key) ? weights.info(key).dtype().toDType() : null;
        return t != null && t.isFloating() ? t : DType.F32;
    }

    /**
     * Writes config.json (torch_dtype set) and model.safetensors with {@code params} stored as {@code dtype}, and
     * copies the tokenizer files present in {@code tokenizerSource} when it is not null.
     */
    static void save(Path dir, LlamaConfig config, Map<String, Tensor> params, DType dtype, Path tokenizerSource)
            throws IOException {
        Files.createDirectories(dir);
        config.write(dir.resolve(CONFIG), dtype);
        SafetensorsWriter.write(dir.resolve(SafetensorsShards.SINGLE), params, dtype);
        if (tokenizerSource != null) TokenizerFileCopy.copy(tokenizerSource, dir);
    }

    private static void requireShape(SafetensorsShards weights, String key, int[] want) {
        TensorInfo info = weights.info(key);
        if (!Arrays.equals(info.shape(), want)) {
            throw new IllegalArgumentException(weights.source() + ": tensor '" + key + "' has shape "
                    + Arrays.toString(info.shape()) + ", the model expects " + Arrays.toString(want));
        }
    }
}
