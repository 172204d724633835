package dev.lathe.models.llama;

import com.fasterxml.jackson.databind.JsonNode;

/** The Llama-family architectures Lathe computes: they differ only in attention biases and q/k norms. */
public enum LlamaFamily {
    /** LlamaForCausalLM: optional biases (attention_bias, mlp_bias), Llama 3's rope scaling. */
    LLAMA("llama", "Llama"),
    /** Qwen2ForCausalLM: biases on q, k and v. */
    QWEN2("qwen2", "Qwen2"),
    /** Qwen3ForCausalLM: per-head RMSNorm on q and k, an explicit head_dim. */
    QWEN3("qwen3", "Qwen3");

    private final String modelType;
    private final String classPrefix;

    LlamaFamily(String modelType, String classPrefix) {
        this.modelType = modelType;
        this.classPrefix = classPrefix;
    }

    /** The family a config.json names by model_type, else by its first architecture's class; null if none. */
    public static LlamaFamily of(JsonNode config) {
        String type = config.path("model_type").asText("");
        for (LlamaFamily f : values()) if (f.modelType.equals(type)) return f;
        if (!type.isEmpty()) return null;
        String arch = config.path("architectures").path(0).asText("");
        for (LlamaFamily f : values()) if (arch.startsWith(f.classPrefix + "For")) return f;
        return null;
    }
}
