package dev.lathe.train.ppo;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.kernels.PpoLoss;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.generate.Generation;
import dev.lathe.models.generate.GenerationConfig;
import dev.lathe.models.generate.Generator;
import dev.lathe.models.generate.SamplingConfig;
import dev.lathe.models.RewardModel;
import dev.lathe.train.data.PromptExample;
import dev.lathe.train.rollout.CompletionScorer;
import dev.lathe.train.rollout.ResponseBatch;
import dev.lathe.train.rollout.ResponseLogProbs;
import dev.lathe.train.rollout.RewardModelPass;
import dev.lathe.train.rollout.RowArrays;
import dev.lathe.train.trainer.Checkpoints;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.OnlineTask;
import dev.lathe.train.trainer.TrainingTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * PPO (TRL's PPOTrainer) as an {@link OnlineTask}. One step is one rollout batch:
 * <ol>
 *   <li>sample a response of up to {@code responseLength} tokens per prompt from the policy (KV cache, the
 *       configured temperature), cut after the first EOS;</li>
 *   <li>without autograd, recompute the policy's and the reference's log-probs of the response tokens (logits
 *       / (temperature + 1e-7)), the value model's values, and score prompt + response;</li>
 *   <li>{@link PpoRollout}: KL-penalised per-token rewards, GAE advantages (whitened) and returns;</li>
 *   <li>{@code numPpoEpochs} passes, each over a fresh seeded permutation cut into {@code numMiniBatches}
 *       mini-batches; per mini-batch the clipped policy loss + vfCoef · clipped value loss ({@link PpoLoss}),
 *       backward into the policy and the value model together, and one optimizer update.</li>
 * </ol>
 * Metrics are TRL's: the rollout's objective/* and val/num_eos_tokens, and the updates' loss/*, policy/*, val/*
 * averaged over the step's mini-batches. The rollout runs the policy and the value model in evaluation mode (no
 * dropout), the updates in training mode.
 */
public final class PpoTask implements OnlineTask {
    /** Where the value model goes inside a saved folder. */
    public static final String VALUE_MODEL = "value_model";

    private final CausalLm policy;
    private final CausalLm reference;
    private final RewardModel valueModel;
    private final CompletionScorer scorer;
    private final List<PromptExample> prompts;
    private final PpoConfig config;
    private final int eosTokenId;
    private final int padTokenId;
    private final long seed;
    private final ModelSaver saver;

    /**
     * @param valueModel a one-label *ForSequenceClassification whose score head gives a value per position
     * @param eosTokenId ends a response (negative: never); padTokenId fills prompts and responses after EOS
     * @param seed       sampling and mini-batch permutations of step s derive from (seed, s)
     * @param saver      writes the trained models under a folder: the policy in it, the value model in
     *                   {@link #VALUE_MODEL}/
     */
    public PpoTask(CausalLm policy, CausalLm reference, RewardModel valueModel, CompletionScorer scorer,
                   List<PromptExample> prompts, PpoConfig config, int eosTokenId, int padTokenId, long seed,
                   ModelSaver saver) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        this.policy = policy;
        this.reference = reference;
        this.valueModel = valueModel;
        this.scorer = scorer;
        this.prompts = List.copyOf(prompts);
        this.config = config;
        this.eosTokenId = eosTokenId;
        this.padTokenId = padTokenId;
        this.seed = seed;
        this.saver = saver;
    }

    @Override
    public int size() {
        return prompts.size();
    }

    /**
     * The policy's trainable parameters (its adapters alone under LoRA) under {@code policy.}, the value model's
     * under {@code value_model.}.
     */
    @Override
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        TrainingTask.trainable(policy.namedParameters()).forEach((n, p) -> all.put("policy." + n, p));
        TrainingTask.trainable(valueModel.namedParameters()).forEach((n, p) -> all.put("value_model." + n, p));
        return all;
    }

    @Override
    public StepResult step(int[] rows, long step, Update update) {
        int b = rows.length;
        if (b % config.numMiniBatches() != 0) {
            throw new IllegalArgumentException("a batch of " + b + " prompts does not split into "
                    + config.numMiniBatches() + " mini-batches");
        }
        List<PromptExample> batchPrompts = new ArrayList<>(b);
        int[][] ids = new int[b][];
        for (int i = 0; i < b; i++) {
            batchPrompts.add(prompts.get(rows[i]));
            ids[i] = batchPrompts.get(i).ids();
        }
        long stepSeed = seed * 0x9E3779B97F4A7C15L + step;
        trainingMode(false);
        ResponseBatch batch = generate(ids, stepSeed);
        PpoRollout rollout = rollout(batch, batchPrompts);
        trainingMode(true);
        int eosRows = 0;
        for (int i = 0; i < b; i++) if (batch.endsWithEos(i)) eosRows++;

        Random shuffle = new Random(stepSeed);
        int miniSize = b / config.numMiniBatches(), updates = 0;
        double loss = 0, gradNorm = 0;
        Map<String, Double> stats = new LinkedHashMap<>();
        for (int epoch = 0; epoch < config.numPpoEpochs(); epoch++) {
            int[] order = permutation(b, shuffle);
            for (int from = 0; from < b; from += miniSize) {
                int[] mini = Arrays.copyOfRange(order, from, from + miniSize);
                try (var s = Scope.open()) {
                    PpoLoss.Result r = miniBatchLoss(policy, valueModel, batch, rollout, mini, config);
                    r.loss().backward();
                    loss += r.loss().item();
                    r.stats().metrics().forEach((k, v) -> stats.merge(k, v, Double::sum));
                }
                gradNorm += update.apply();
                updates++;
            }
        }
        Map<String, Double> metrics = rollout.metrics(config.klCoef(), eosRows);
        for (var e : stats.entrySet()) metrics.put(e.getKey(), e.getValue() / updates);
        long tokens = batch.realTokens() * (1 + (long) config.numPpoEpochs());
        return new StepResult(loss / updates, gradNorm / updates, b, tokens, metrics);
    }

    /** The trained models' mode: dropout acts in the updates, never in the rollout. */
    private void trainingMode(boolean on) {
        policy.train(on);
        valueModel.train(on);
    }

    /** Samples one response per prompt, cut after its first EOS. */
    private ResponseBatch generate(int[][] ids, long stepSeed) {
        var sampling = SamplingConfig.sampling((float) config.temperature(), stepSeed);
        var gen = new GenerationConfig(sampling, config.responseLength(), eosTokenId, padTokenId, Padding.Side.LEFT, true);
        Generation g = Generator.generate(policy, ids, gen);
        return ResponseBatch.truncatedAtEos(ids, g.completions(), eosTokenId, padTokenId);
    }

    /**
     * Log-probs, values and scores of the sampled batch (no autograd, on the models' device), read back and turned
     * into rewards and advantages on the host ([B, R] numbers: the same bits whichever device ran the models).
     */
    private PpoRollout rollout(ResponseBatch batch, List<PromptExample> batchPrompts) {
        float[] logp, refLogp, values;
        try (var noGrad = GradMode.off(); var s = Scope.open()) {
            logp = ResponseLogProbs.compute(policy, batch, config.logitDivisor(), false).logp().toFloatArray();
            refLogp = ResponseLogProbs.compute(reference, batch, config.logitDivisor(), false).logp().toFloatArray();
            values = RewardModelPass.values(valueModel, batch).toFloatArray();
        }
        double[] scores = scorer.score(batch, batchPrompts);
        boolean[] eos = new boolean[batch.rows()];
        for (int i = 0; i < eos.length; i++) eos[i] = batch.endsWithEos(i);
        return PpoRollout.compute(batch.rows(), batch.responseWidth(), batch.mask(), logp, refLogp, values, scores,
                eos, config);
    }

    /**
     * The PPO loss of the rollout rows {@code mini}: the policy's new log-probs and the value model's new values
     * (with autograd) against the rollout's old log-probs, values, advantages and returns.
     */
    static PpoLoss.Result miniBatchLoss(CausalLm policy, RewardModel valueModel, ResponseBatch batch,
                                        PpoRollout rollout, int[] mini, PpoConfig config) {
        ResponseBatch sub = batch.select(mini);
        int r = batch.responseWidth();
        ResponseLogProbs.Result now = ResponseLogProbs.compute(policy, sub, config.logitDivisor(), true);
        Tensor vpred = RewardModelPass.values(valueModel, sub);
        Device device = policy.device(); // the rollout's numbers are host arrays
        return PpoLoss.compute(now.logp(), RowArrays.rows(rollout.logp(), r, mini).moveTo(device),
                RowArrays.rows(rollout.advantages(), r, mini).moveTo(device), vpred,
                RowArrays.rows(rollout.values(), r, mini).moveTo(device),
                RowArrays.rows(rollout.returns(), r, mini).moveTo(device),
                RowArrays.rows(rollout.mask(), r, mini).moveTo(device), now.entropy(), config.loss());
    }

    private static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Override
    public void save(Path dir) throws IOException {
        saver.save(dir);
    }

    /** The policy's trained parameters from {@code dir}, the value model's from {@code dir/value_model/}. */
    @Override
    public void load(Path dir) throws IOException {
        Checkpoints.loadWeights(dir, TrainingTask.trainable(policy.namedParameters()));
        Checkpoints.loadWeights(dir.resolve(VALUE_MODEL), TrainingTask.trainable(valueModel.namedParameters()));
    }
}
