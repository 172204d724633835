package dev.lathe.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.gpt2.Gpt2RewardModel;
import dev.lathe.models.io.SafetensorsShards;
import dev.lathe.models.llama.LlamaFamily;
import dev.lathe.models.llama.LlamaModel;
import dev.lathe.models.llama.LlamaRewardModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Loads a Hugging Face model folder as the family its config.json names (model_type, else architectures). */
public final class ModelFamilies {
    private ModelFamilies() {}

    /** Llama / Qwen2 / Qwen3 as {@link LlamaModel}, anything else as GPT-2 (whose loader rejects what it is not). */
    public static CausalLm loadCausalLm(Path dir) throws IOException {
        return isLlamaFamily(dir) ? LlamaModel.load(dir) : Gpt2Model.load(dir);
    }

    /** A *ForSequenceClassification folder (with {@code score.weight}) of the folder's family. */
    public static RewardModel loadRewardModel(Path dir) throws IOException {
        return isLlamaFamily(dir) ? LlamaRewardModel.load(dir) : Gpt2RewardModel.load(dir);
    }

    /**
     * A reward model whose body comes from the causal LM in {@code dir} and whose score head is new, drawn from
     * {@code rng} as Hugging Face initialises a missing head; the LM head is not used.
     */
    public static RewardModel rewardModelFromCausalLm(Path dir, int numLabels, Random rng) throws IOException {
        return isLlamaFamily(dir) ? LlamaRewardModel.fromCausalLm(dir, numLabels, rng)
                : Gpt2RewardModel.fromCausalLm(dir, numLabels, rng);
    }

    /** Whether the folder's weights (one file or shards) hold a sequence-classification head. */
    public static boolean hasScoreHead(Path dir) throws IOException {
        try (SafetensorsShards weights = SafetensorsShards.open(dir)) {
            return weights.contains(RewardModel.SCORE_WEIGHT);
        }
    }

    /** Whether the folder's config.json names a Llama-family model; false when it has none. */
    public static boolean isLlamaFamily(Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) return false;
        JsonNode json = new ObjectMapper().readTree(Files.readString(config));
        return LlamaFamily.of(json) != null;
    }
}
