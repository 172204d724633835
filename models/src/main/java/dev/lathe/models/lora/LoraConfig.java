package dev.lathe.models.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.core.nn.Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LoRA adapter's settings as PEFT's {@code LoraConfig} stores them in {@code adapter_config.json}: rank r,
 * lora_alpha (the update is scaled by alpha / r), lora_dropout on the adapter's input in training mode, the target
 * modules (a module matches a target when its name is the target or ends with "." + target, PEFT's rule), and
 * modules_to_save (trained in full and stored with the adapter, e.g. a reward model's {@code score} head).
 * Defaults are PEFT's: r 8, alpha 8, dropout 0; the default targets are {@code c_attn} for GPT-2 and
 * {@code q_proj, v_proj} for Llama, Qwen2 and Qwen3.
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules, List<String> modulesToSave,
                         String taskType, String baseModel) {
    public static final String FILE = "adapter_config.json";
    public static final int DEFAULT_R = 8;
    public static final double DEFAULT_ALPHA = 8;
    public static final List<String> GPT2_TARGETS = List.of("c_attn");
    /** PEFT's default target_modules for llama, qwen2 and qwen3. */
    public static final List<String> LLAMA_TARGETS = List.of("q_proj", "v_proj");
    /** Every linear projection of a Llama-family decoder layer (QLoRA's "all linear layers"). */
    public static final List<String> LLAMA_PROJECTIONS =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    public LoraConfig {
        if (r < 1) throw new IllegalArgumentException("LoRA rank must be at least 1, got " + r);
        if (!(alpha > 0)) throw new IllegalArgumentException("lora_alpha must be positive, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        if (targetModules.isEmpty()) throw new IllegalArgumentException("no LoRA target modules");
        targetModules = List.copyOf(targetModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** A causal-LM adapter (task_type CAUSAL_LM) with nothing trained in full. */
    public static LoraConfig causalLm(int r, double alpha, double dropout, List<String> targets, String baseModel) {
        return new LoraConfig(r, alpha, dropout, targets, List.of(), "CAUSAL_LM", baseModel);
    }

    /** The same settings for a sequence-classification model whose {@code head} is trained in full (SEQ_CLS). */
    public LoraConfig forSequenceClassification(String head) {
        return new LoraConfig(r, alpha, dropout, targetModules, List.of(head), "SEQ_CLS", baseModel);
    }

    /** PEFT's default targets for {@code model}: Llama's when it has a {@code self_attn.q_proj}, else GPT-2's. */
    public static List<String> defaultTargets(Module model) {
        boolean llama = model.namedModules().keySet().stream().anyMatch(name -> name.endsWith("self_attn.q_proj"));
        return llama ? LLAMA_TARGETS : GPT2_TARGETS;
    }

    /** alpha / r, what B A is multiplied by. */
    public double scaling() {
        return alpha / r;
    }

    /** PEFT's matching of target_modules given as a list: the full name or a "."-separated suffix of it. */
    public static boolean matches(List<String> targets, String moduleName) {
        for (String t : targets) {
            if (moduleName.equals(t) || moduleName.endsWith("." + t)) return true;
        }
        return false;
    }

    /** Reads adapter_config.json; fan_in_fan_out is not kept: the adapted layers' own layout decides (as in PEFT). */
    public static LoraConfig read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + FILE);
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        String type = json.path("peft_type").asText("");
        if (!type.equals("LORA")) throw new IllegalArgumentException(file + ": peft_type '" + type + "' is not LORA");
        if (json.path("use_dora").asBoolean(false) || json.path("use_rslora").asBoolean(false)) {
            throw new IllegalArgumentException(file + ": DoRA and rsLoRA adapters are not supported");
        }
        if (!json.path("bias").asText("none").equals("none")) {
            throw new IllegalArgumentException(file + ": bias '" + json.path("bias").asText() + "' is not supported (only none)");
        }
        if (json.path("rank_pattern").size() > 0 || json.path("alpha_pattern").size() > 0) {
            throw new IllegalArgumentException(file + ": rank_pattern / alpha_pattern are not supported");
        }
        JsonNode targets = json.path("target_modules");
        if (!targets.isArray()) {
            throw new IllegalArgumentException(file + ": target_modules must be a list of module names");
        }
        return new LoraConfig(json.path("r").asInt(DEFAULT_R), json.path("lora_alpha").asDouble(DEFAULT_ALPHA),
                json.path("lora_dropout").asDouble(0), strings(targets), strings(json.path("modules_to_save")),
                json.path("task_type").asText("CAUSAL_LM"), json.path("base_model_name_or_path").asText(""));
    }

    /**
     * Writes adapter_config.json with PEFT's keys; fan_in_fan_out is true for GPT-2's Conv1D layers (weight
     * [in, out]) and false for Linear layers ([out, in]).
     */
    public void write(Path dir, boolean inferenceMode, boolean fanInFanOut) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode json = mapper.createObjectNode();
        json.put("peft_type", "LORA");
        json.put("task_type", taskType);
        json.put("base_model_name_or_path", baseModel);
        json.put("inference_mode", inferenceMode);
        json.put("r", r);
        if (alpha == Math.rint(alpha)) json.put("lora_alpha", (long) alpha); else json.put("lora_alpha", alpha);
        json.put("lora_dropout", dropout);
        ArrayNode targets = json.putArray("target_modules");
        targetModules.forEach(targets::add);
        if (modulesToSave.isEmpty()) {
            json.putNull("modules_to_save");
        } else {
            ArrayNode save = json.putArray("modules_to_save");
            modulesToSave.forEach(save::add);
        }
        json.put("fan_in_fan_out", fanInFanOut);
        json.put("bias", "none");
        json.put("init_lora_weights", true);
        json.put("use_rslora", false);
        json.put("use_dora", false);
        json.putObject("rank_pattern");
        json.putObject("alpha_pattern");
        json.putNull("layers_to_transform");
        json.putNull("layers_pattern");
        json.putNull("revision");
        Files.createDirectories(dir);
        mapper.writeValue(dir.resolve(FILE).toFile(), json);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
