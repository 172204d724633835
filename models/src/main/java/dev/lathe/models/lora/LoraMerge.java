package dev.lathe.models.lora;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.models.gpt2.Conv1D;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Folds a saved adapter into a base model's weights, PEFT's {@code merge_and_unload} for fan_in_fan_out layers:
 * each targeted Conv1D weight W [in, out] gets W += scaling · (B A)ᵀ, i.e. W[i][o] += scaling · Σ_k B[o][k] A[k][i]
 * (summed in float64, rounded once), and modules_to_save weights replace the base's. The model is then a plain
 * checkpoint again.
 */
public final class LoraMerge {
    private LoraMerge() {}

    /** Merges the adapter in {@code adapterDir} into {@code model} (F32 weights, no adapters attached); returns its config. */
    public static LoraConfig mergeInto(Module model, Path adapterDir) throws IOException {
        LoraConfig config = LoraConfig.read(adapterDir);
        Path file = adapterDir.resolve(LoraModel.WEIGHTS);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(adapterDir + ": no " + LoraModel.WEIGHTS);
        Map<String, Tensor> params = model.namedParameters();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            int merged = 0;
            for (var e : model.namedModules().entrySet()) {
                if (!(e.getValue() instanceof Conv1D layer) || !LoraConfig.matches(config.targetModules(), e.getKey())) continue;
                String key = LoraModel.KEY_PREFIX + e.getKey();
                try (Tensor a = read(reader, key + ".lora_A.weight"); Tensor b = read(reader, key + ".lora_B.weight")) {
                    addDelta(layer.weight(), a, b, config.scaling(), key);
                }
                merged++;
            }
            if (merged == 0) throw new IllegalArgumentException("no Conv1D layer matches the LoRA targets " + config.targetModules());
            for (var p : params.entrySet()) {
                String key = LoraModel.KEY_PREFIX + p.getKey();
                if (!reader.contains(key) || key.contains(".lora_")) continue;
                if (!Arrays.equals(reader.info(key).shape(), p.getValue().shape())) {
                    throw new IllegalArgumentException(file + ": tensor '" + key + "' has shape "
                            + Arrays.toString(reader.info(key).shape()) + ", the model expects " + Arrays.toString(p.getValue().shape()));
                }
                reader.readInto(key, p.getValue());
            }
        }
        return config;
    }

    /** W [in, out] += scaling · (B [out, r] A [r, in])ᵀ. */
    static void addDelta(Tensor w, Tensor a, Tensor b, double scaling, String layer) {
        int in = w.dim(0), out = w.dim(1), r = a.dim(0);
        if (a.dim(1) != in || b.dim(0) != out || b.dim(1) != r) {
            throw new IllegalArgumentException(layer + ": lora_A " + a + " and lora_B " + b + " do not fit weight [in, out] " + w);
        }
        float[] wv = w.toFloatArray(), av = a.toFloatArray(), bv = b.toFloatArray();
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int k = 0; k < r; k++) sum += (double) bv[o * r + k] * av[k * in + i];
                wv[i * out + o] = (float) (wv[i * out + o] + scaling * sum);
            }
        }
        w.copyFrom(wv);
    }

    private static Tensor read(SafetensorsReader reader, String key) {
        if (!reader.contains(key)) throw new IllegalArgumentException(reader.file() + ": missing tensor '" + key + "'");
        return Scope.escape(() -> reader.read(key, DType.F32));
    }
}
