package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.RewardModel;
import dev.lathe.models.io.SafetensorsShards;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * A Llama-family reward model (Hugging Face's LlamaForSequenceClassification, Qwen2…, Qwen3…): the body
 * {@code model.*} and {@code score.weight} [num_labels, C] without bias. A row's scores are score.weight · its
 * final hidden state at its last real token, whose index the caller gives from the row's length.
 */
public final class LlamaRewardModel extends Module implements RewardModel {
    /** num_labels when the configuration names none (PretrainedConfig's default). */
    private static final int DEFAULT_LABELS = 2;

    private final LlamaConfig config;
    private final LlamaBody body;
    private final Tensor score;

    private LlamaRewardModel(LlamaConfig config, LlamaInit init) {
        this.config = config;
        this.body = child("model", new LlamaBody(config, init));
        int labels = config.numLabels() == null ? DEFAULT_LABELS : config.numLabels();
        this.score = child("score", new WeightTable(labels, config.hiddenSize(), init)).weight;
    }

    /** Loads a *ForSequenceClassification folder (single file or sharded). */
    public static LlamaRewardModel load(Path dir) throws IOException {
        LlamaConfig config = LlamaCheckpoint.readConfig(dir);
        try (SafetensorsShards weights = SafetensorsShards.open(dir)) {
            LlamaRewardModel model = new LlamaRewardModel(config, LlamaInit.forLoading());
            return loadInto(model, weights, model.namedParameters());
        }
    }

    /**
     * A reward model whose body comes from a causal-LM folder and whose score head is new, N(0, 0.02²) from
     * {@code rng} (Hugging Face's init of a missing head); the LM head, if any, is ignored.
     */
    public static LlamaRewardModel fromCausalLm(Path dir, int numLabels, Random rng) throws IOException {
        LlamaConfig config = LlamaCheckpoint.readConfig(dir).forSequenceClassification(numLabels);
        try (SafetensorsShards weights = SafetensorsShards.open(dir)) {
            LlamaRewardModel model = new LlamaRewardModel(config, LlamaInit.random(rng));
            Map<String, Tensor> bodyParams = new java.util.LinkedHashMap<>(model.namedParameters());
            bodyParams.keySet().removeIf(name -> !name.startsWith("model."));
            return loadInto(model, weights, bodyParams);
        }
    }

    private static LlamaRewardModel loadInto(LlamaRewardModel model, SafetensorsShards weights, Map<String, Tensor> params) {
        try {
            // a causal LM's lm_head.weight is not part of a reward model: shape-checked against the embedding, skipped
            LlamaCheckpoint.load(weights, params, model.body.embedTokens());
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public int numLabels() {
        return score.dim(0);
    }

    /** ids, positions I32 [B, T], keyMask null or I32 [B, T] → hidden [B, T, C] after the final norm. */
    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return body.forward(ids, positions, keyMask);
    }

    /** hidden [B, T, C] and each row's last real token index → scores [B, num_labels]. Differentiable. */
    @Override
    public Tensor scores(Tensor hidden, int[] lastIndex) {
        return MatmulOps.matmul(RewardModel.lastTokens(hidden, lastIndex), score.t());
    }

    /** Saves as the family's *ForSequenceClassification. */
    public void save(Path dir, DType dtype) throws IOException {
        save(dir, dtype, null);
    }

    @Override
    public void save(Path dir, DType dtype, Path tokenizerSource) throws IOException {
        LlamaCheckpoint.save(dir, config, namedParameters(), dtype, tokenizerSource);
    }
}
