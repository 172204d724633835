package dev.lathe.models.lora;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Folds a saved adapter into a base model's weights, PEFT's {@code merge_and_unload}: each targeted layer's
 * weight gets scaling · B A, i.e. ΔW[o][i] = scaling · Σ_k B[o][k] A[k][i] (summed in float64, rounded once),
 * added at [o][i] of a Linear weight [out, in] and at [i][o] of a Conv1D weight [in, out]; modules_to_save
 * weights replace the base's. The model is then a plain checkpoint again.
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
                if (!(e.getValue() instanceof AdaptableLayer layer) || !LoraConfig.matches(config.targetModules(), e.getKey())) continue;
                String key = LoraModel.KEY_PREFIX + e.getKey();
                try (Tensor a = read(reader, key + ".lora_A.weight"); Tensor b = read(reader, key + ".lora_B.weight")) {
                    addDelta(layer, a, b, config.scaling(), key);
                }
                merged++;
            }
            if (merged == 0) throw new IllegalArgumentException("no adaptable layer matches the LoRA targets " + config.targetModules());
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

    /** The layer's weight += scaling · B [out, r] A [r, in], transposed for a fan_in_fan_out weight [in, out]. */
    static void addDelta(AdaptableLayer layer, Tensor a, Tensor b, double scaling, String key) {
        Tensor w = layer.weight();
        int in = layer.inFeatures(), out = layer.outFeatures(), r = a.dim(0);
        if (w.dtype() != DType.F32) throw new IllegalArgumentException(key + ": cannot merge into a " + w.dtype() + " weight");
        if (a.dim(1) != in || b.dim(0) != out || b.dim(1) != r) {
            throw new IllegalArgumentException(key + ": lora_A " + a + " and lora_B " + b + " do not fit a layer of "
                    + in + " inputs and " + out + " outputs");
        }
        // element (o, i) of the update sits at o·in + i in [out, in], at i·out + o in [in, out]
        int outStride = layer.fanInFanOut() ? 1 : in, inStride = layer.fanInFanOut() ? out : 1;
        float[] wv = w.toFloatArray(), av = a.toFloatArray(), bv = b.toFloatArray();
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double sum = 0;
                for (int k = 0; k < r; k++) sum += (double) bv[o * r + k] * av[k * in + i];
                int at = o * outStride + i * inStride;
                wv[at] = (float) (wv[at] + scaling * sum);
            }
        }
        w.copyFrom(wv);
    }

    private static Tensor read(SafetensorsReader reader, String key) {
        if (!reader.contains(key)) throw new IllegalArgumentException(reader.file() + ": missing tensor '" + key + "'");
        return Scope.escape(() -> reader.read(key, DType.F32));
    }
}
