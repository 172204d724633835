package dev.lathe.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.llama.LlamaFamily;
import dev.lathe.models.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads a Hugging Face causal-LM folder as the family its config.json names (model_type, else architectures). */
public final class ModelFamilies {
    private ModelFamilies() {}

    /** Llama / Qwen2 / Qwen3 as {@link LlamaModel}, anything else as GPT-2 (whose loader rejects what it is not). */
    public static CausalLm loadCausalLm(Path dir) throws IOException {
        return isLlamaFamily(dir) ? LlamaModel.load(dir) : Gpt2Model.load(dir);
    }

    /** Whether the folder's config.json names a Llama-family model; false when it has none. */
    public static boolean isLlamaFamily(Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) return false;
        JsonNode json = new ObjectMapper().readTree(Files.readString(config));
        return LlamaFamily.of(json) != null;
    }
}
