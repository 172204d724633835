package dev.lathe.models.lora;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * The LoRA adapters of one model, PEFT's {@code PeftModel}: every adaptable layer (GPT-2's Conv1D, the Llama
 * family's Linear projections) whose name matches the config's targets gets an adapter, every base parameter is
 * frozen (requiresGrad off) except those of modules_to_save, and the trainable tensors are saved and loaded in
 * PEFT's layout — {@code adapter_config.json} and {@code adapter_model.safetensors} with keys
 * {@code base_model.model.<parameter name>}
 * ({@code base_model.model.transformer.h.0.attn.c_attn.lora_A.weight} [r, in], {@code …lora_B.weight} [out, r],
 * or {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}; no adapter name), so {@code peft}
 * loads Lathe's adapters and Lathe loads PEFT's.
 */
public final class LoraModel {
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String KEY_PREFIX = "base_model.model.";
    private static final List<String> TOKENIZER_FILES = List.of(
            "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

    private final Module model;
    private final LoraConfig config;
    private final LoraSwitch lora = new LoraSwitch();
    private final Map<String, AdaptableLayer> layers = new LinkedHashMap<>();

    private LoraModel(Module model, LoraConfig config, Random rng) {
        this.model = model;
        this.config = config;
        model.namedModules().forEach((name, m) -> {
            if (m instanceof AdaptableLayer layer && LoraConfig.matches(config.targetModules(), name)) layers.put(name, layer);
        });
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("no adaptable layer matches the LoRA targets " + config.targetModules());
        }
        model.namedParameters().forEach((name, p) -> p.requiresGrad(isSaved(name)));
        layers.forEach((name, layer) ->
                layer.attachLora(new LoraAdapter(layer.inFeatures(), layer.outFeatures(), config, rng, lora)));
    }

    /** Freezes {@code model} and attaches fresh adapters (A from {@code rng}, B zero) to the targeted layers. */
    public static LoraModel attach(Module model, LoraConfig config, Random rng) {
        return new LoraModel(model, config, rng);
    }

    /** Attaches the adapter saved in {@code dir} (PEFT's files) to {@code model}, frozen and ready to train on. */
    public static LoraModel load(Module model, Path dir) throws IOException {
        LoraModel lora = new LoraModel(model, LoraConfig.read(dir), new Random(0));
        Path file = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + WEIGHTS);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            var unused = new TreeSet<>(reader.names());
            for (var e : lora.adapterParameters().entrySet()) {
                String key = e.getKey();
                Tensor p = e.getValue();
                if (!reader.contains(key)) {
                    throw new IllegalArgumentException(file + ": missing tensor '" + key + "' of shape " + Arrays.toString(p.shape()));
                }
                int[] shape = reader.info(key).shape();
                if (!Arrays.equals(shape, p.shape())) {
                    throw new IllegalArgumentException(file + ": tensor '" + key + "' has shape " + Arrays.toString(shape)
                            + ", the model expects " + Arrays.toString(p.shape()));
                }
                reader.readInto(key, p);
                unused.remove(key);
            }
            if (!unused.isEmpty()) throw new IllegalArgumentException(file + ": tensors the model has no place for: " + unused);
        }
        return lora;
    }

    public LoraConfig config() {
        return config;
    }

    /** The adapted layers by module name ({@code transformer.h.0.attn.c_attn}, {@code model.layers.0.self_attn.q_proj}). */
    public Map<String, AdaptableLayer> layers() {
        return layers;
    }

    /** The trainable tensors under the model's own names (lora_A / lora_B weights, modules_to_save). */
    public Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> {
            if (p.requiresGrad()) out.put(name, p);
        });
        return out;
    }

    /** The trainable tensors under PEFT's saved keys. */
    public Map<String, Tensor> adapterParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        trainableParameters().forEach((name, p) -> out.put(KEY_PREFIX + name, p));
        return out;
    }

    /**
     * Switches every adapter off until the handle is closed: the model computes as its base (DPO's reference),
     * with no second copy of the weights.
     */
    public AdaptersOff disabled() {
        return lora.off();
    }

    /** The scope of {@link #disabled()}; closing it switches the adapters back on. */
    public interface AdaptersOff extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Re-stores every frozen weight of an adaptable layer, adapted or not, as BF16 (GPT-2's Conv1D layers, the
     * Llama family's q/k/v/o and gate/up/down projections); embeddings, heads, norms, adapters and modules_to_save
     * stay F32.
     */
    public void storeFrozenWeightsAsBf16() {
        model.namedModules().values().forEach(m -> {
            if (m instanceof AdaptableLayer layer && !layer.weight().requiresGrad()) layer.storeFrozenWeightAsBf16();
        });
    }

    /**
     * Writes {@code dir}: adapter_config.json, adapter_model.safetensors (F32) and the tokenizer files found in
     * {@code tokenizerSource} (null: none).
     */
    public void save(Path dir, Path tokenizerSource) throws IOException {
        Files.createDirectories(dir);
        config.write(dir, false, layers.values().iterator().next().fanInFanOut());
        SafetensorsWriter.write(dir.resolve(WEIGHTS), adapterParameters(), DType.F32);
        if (tokenizerSource == null) return;
        for (String name : TOKENIZER_FILES) {
            Path src = tokenizerSource.resolve(name);
            if (Files.isRegularFile(src)) Files.copy(src, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private boolean isSaved(String parameterName) {
        for (String m : config.modulesToSave()) {
            if (parameterName.startsWith(m + ".") || parameterName.contains("." + m + ".")) return true;
        }
        return false;
    }
}
