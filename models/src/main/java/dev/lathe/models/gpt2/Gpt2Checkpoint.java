package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.io.SafetensorsReader;
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
 * The Hugging Face checkpoint folder of a GPT-2: {@code config.json}, {@code model.safetensors} and, when copied
 * along, the tokenizer files. Parameters are named as Hugging Face names them ({@code transformer.h.0.…});
 * in a file their keys may also lack the {@code transformer.} prefix (the original {@code gpt2} checkpoint).
 */
final class Gpt2Checkpoint {
    static final String CONFIG = "config.json";
    static final String WEIGHTS = "model.safetensors";
    static final String PREFIX = "transformer.";
    static final String LM_HEAD = "lm_head.weight";

    private Gpt2Checkpoint() {}

    static Gpt2Config readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + CONFIG);
        return Gpt2Config.read(file);
    }

    static SafetensorsReader openWeights(Path dir) throws IOException {
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + WEIGHTS);
        return SafetensorsReader.open(file);
    }

    /**
     * Overwrites every parameter with its tensor in the file (converted to the parameter's F32) and returns the
     * file's keys that no parameter took. A missing or mis-shaped tensor is an IllegalArgumentException naming
     * the key and both shapes; a tensor stored in a type other than F32, F16 or BF16 names its type.
     */
    static Set<String> loadInto(SafetensorsReader reader, Map<String, Tensor> params) {
        Set<String> unused = new TreeSet<>(reader.names());
        for (var p : params.entrySet()) {
            String key = keyFor(reader, p.getKey());
            Tensor param = p.getValue();
            if (key == null) {
                throw new IllegalArgumentException(reader.file() + ": missing tensor '" + p.getKey() + "' of shape "
                        + Arrays.toString(param.shape()));
            }
            TensorInfo info = reader.info(key);
            DType stored = info.dtype().toDType();
            if (stored == null || !stored.isFloating()) {
                throw new IllegalArgumentException(reader.file() + ": tensor '" + key + "' is " + info.dtype()
                        + "; weights must be F32, F16 or BF16");
            }
            if (!Arrays.equals(info.shape(), param.shape())) {
                throw new IllegalArgumentException(reader.file() + ": tensor '" + key + "' has shape "
                        + Arrays.toString(info.shape()) + ", the model expects " + Arrays.toString(param.shape()));
            }
            reader.readInto(key, param);
            unused.remove(key);
        }
        return unused;
    }

    /** The file's key for a parameter: its own name, or the name without {@code transformer.}. */
    private static String keyFor(SafetensorsReader reader, String name) {
        if (reader.contains(name)) return name;
        if (name.startsWith(PREFIX) && reader.contains(name.substring(PREFIX.length()))) {
            return name.substring(PREFIX.length());
        }
        return null;
    }

    /**
     * Accounts for the keys no parameter took: a tied {@code lm_head.weight} is the embedding again (its shape is
     * checked, its values ignored, as Hugging Face ties it to wte); attention mask buffers of older checkpoints
     * are not weights; anything else is reported on stderr, as Hugging Face warns about unused weights.
     */
    static void finishUnused(SafetensorsReader reader, Set<String> unused, Tensor wte) {
        if (unused.remove(LM_HEAD)) {
            int[] shape = reader.info(LM_HEAD).shape();
            if (!Arrays.equals(shape, wte.shape())) {
                throw new IllegalArgumentException(reader.file() + ": tensor '" + LM_HEAD + "' has shape "
                        + Arrays.toString(shape) + ", the tied embedding is " + Arrays.toString(wte.shape()));
            }
        }
        unused.removeIf(k -> k.endsWith(".attn.bias") || k.endsWith(".attn.masked_bias"));
        if (!unused.isEmpty()) {
            System.err.println("[lathe] " + reader.file() + ": ignoring tensors the model does not use: " + unused);
        }
    }

    /** The floating type the checkpoint stores its embedding in (what a plain re-save would use). */
    static DType storedType(SafetensorsReader reader, String wteName) {
        String key = keyFor(reader, wteName);
        DType t = key == null ? null : reader.info(key).dtype().toDType();
        return t != null && t.isFloating() ? t : DType.F32;
    }

    /**
     * Writes config.json (with torch_dtype set) and model.safetensors ({@code params} stored as {@code dtype}),
     * and copies the tokenizer files present in {@code tokenizerSource} when it is not null.
     */
    static void save(Path dir, Gpt2Config config, Map<String, Tensor> params, DType dtype, Path tokenizerSource)
            throws IOException {
        Files.createDirectories(dir);
        config.withTorchDtype(dtype).write(dir.resolve(CONFIG));
        SafetensorsWriter.write(dir.resolve(WEIGHTS), params, dtype);
        if (tokenizerSource != null) TokenizerFileCopy.copy(tokenizerSource, dir);
    }
}
