package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.models.RewardModel;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * GPT-2 as a reward model (Hugging Face's GPT2ForSequenceClassification): the body ({@code transformer.*}) and
 * {@code score.weight} [num_labels, C] without bias. A row's scores are score.weight · its final hidden state
 * at its last real token, whose index the caller gives from the row's length (GPT-2 pads with eos, so ids
 * cannot tell).
 */
public final class Gpt2RewardModel extends Module implements RewardModel {
    /** GPT2ForSequenceClassification's num_labels when the configuration names none (PretrainedConfig's default). */
    private static final int DEFAULT_LABELS = 2;

    private final Gpt2Config config;
    private final Gpt2Transformer transformer;
    private final ScoreHead score;

    private Gpt2RewardModel(Gpt2Config config, Gpt2Init init) {
        this.config = config;
        this.transformer = child("transformer", new Gpt2Transformer(config, init));
        int labels = config.numLabels() == null ? DEFAULT_LABELS : config.numLabels();
        this.score = child("score", new ScoreHead(config.nEmbd(), labels, (float) config.initializerRange(), init));
    }

    /** A new reward model with Hugging Face's initialisation. */
    public static Gpt2RewardModel random(Gpt2Config config, Random rng) {
        return new Gpt2RewardModel(config, Gpt2Init.random(rng));
    }

    /** Loads a GPT2ForSequenceClassification folder (config.json + model.safetensors). */
    public static Gpt2RewardModel load(Path dir) throws IOException {
        Gpt2Config config = Gpt2Checkpoint.readConfig(dir);
        try (SafetensorsReader reader = Gpt2Checkpoint.openWeights(dir)) {
            Gpt2RewardModel model = new Gpt2RewardModel(config, Gpt2Init.forLoading());
            return loadInto(model, reader, model.namedParameters());
        }
    }

    /**
     * A reward model whose body comes from a GPT-2 language-model folder and whose score head is new
     * (N(0, initializer_range²) from {@code rng}, as Hugging Face initialises a missing head). Padding uses the
     * configuration's pad token, else its eos.
     */
    public static Gpt2RewardModel fromCausalLm(Path dir, int numLabels, Random rng) throws IOException {
        Gpt2Config lm = Gpt2Checkpoint.readConfig(dir);
        Gpt2Config config = lm.forSequenceClassification(numLabels, lm.padTokenId() != null ? lm.padTokenId() : lm.eosTokenId());
        try (SafetensorsReader reader = Gpt2Checkpoint.openWeights(dir)) {
            Gpt2RewardModel model = new Gpt2RewardModel(config, Gpt2Init.random(rng));
            Map<String, Tensor> body = new LinkedHashMap<>(model.namedParameters());
            body.keySet().removeIf(name -> !name.startsWith(Gpt2Checkpoint.PREFIX));
            return loadInto(model, reader, body);
        }
    }

    private static Gpt2RewardModel loadInto(Gpt2RewardModel model, SafetensorsReader reader, Map<String, Tensor> params) {
        try {
            Set<String> unused = Gpt2Checkpoint.loadInto(reader, params);
            Gpt2Checkpoint.finishUnused(reader, unused, model.transformer.wte());
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    @Override
    public int numLabels() {
        return config.numLabels() == null ? DEFAULT_LABELS : config.numLabels();
    }

    /** ids, positions I32 [B, T], keyMask null or I32 [B, T] → hidden [B, T, C] after ln_f. Differentiable. */
    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return transformer.forward(ids, positions, keyMask);
    }

    /** hidden [B, T, C] and each row's last real token index → scores [B, num_labels]. Differentiable. */
    @Override
    public Tensor scores(Tensor hidden, int[] lastIndex) {
        return score.forward(RewardModel.lastTokens(hidden, lastIndex));
    }

    /** Saves as GPT2ForSequenceClassification. */
    public void save(Path dir, DType dtype) throws IOException {
        save(dir, dtype, null);
    }

    /** {@link #save(Path, DType)}, also copying the tokenizer files found in {@code tokenizerSource} (null: none). */
    @Override
    public void save(Path dir, DType dtype, Path tokenizerSource) throws IOException {
        Gpt2Checkpoint.save(dir, config.forSequenceClassification(numLabels(), config.padTokenId()), namedParameters(),
                dtype, tokenizerSource);
    }
}
