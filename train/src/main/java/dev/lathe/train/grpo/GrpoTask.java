package dev.lathe.train.grpo;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.kernels.GrpoAdvantages;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.generate.Generation;
import dev.lathe.models.generate.GenerationConfig;
import dev.lathe.models.generate.Generator;
import dev.lathe.models.generate.SamplingConfig;
import dev.lathe.train.data.PromptExample;
import dev.lathe.train.rollout.CompletionScorer;
import dev.lathe.train.rollout.ResponseBatch;
import dev.lathe.train.rollout.ResponseLogProbs;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.OnlineTask;
import dev.lathe.train.trainer.TrainingTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GRPO (TRL's GRPOTrainer, num_iterations = 1) as an {@link OnlineTask}. One step: {@code numGenerations}
 * completions of each of the step's prompts (a group, adjacent rows), a reward per completion, advantages
 * normalised within each group ({@link GrpoAdvantages}), and one optimizer update of {@link GrpoLoss} (the
 * clipped surrogate plus β · k3 KL to the frozen reference). Metrics are TRL's: reward, reward_std (mean of the
 * groups' stds), frac_reward_zero_std, completion_length, kl, clip_ratio. Generation, scoring and the reference
 * run with the policy in evaluation mode (no dropout); the update's forward in training mode, whose log-probs are
 * also the old ones (one update per rollout, so the ratio is 1).
 */
public final class GrpoTask implements OnlineTask {
    private final CausalLm policy;
    private final CausalLm reference;
    private final CompletionScorer scorer;
    private final List<PromptExample> prompts;
    private final GrpoConfig config;
    private final int eosTokenId;
    private final int padTokenId;
    private final long seed;
    private final ModelSaver saver;

    /** {@code reference} may be null only when β = 0. */
    public GrpoTask(CausalLm policy, CausalLm reference, CompletionScorer scorer, List<PromptExample> prompts,
                    GrpoConfig config, int eosTokenId, int padTokenId, long seed, ModelSaver saver) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        if (reference == null && config.beta() != 0) throw new IllegalArgumentException("beta > 0 needs a reference model");
        this.policy = policy;
        this.reference = reference;
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

    /** The policy's trainable parameters (its adapters alone under LoRA). */
    @Override
    public Map<String, Tensor> namedParameters() {
        return TrainingTask.trainable(policy.namedParameters());
    }

    @Override
    public StepResult step(int[] rows, long step, Update update) {
        int g = config.numGenerations(), n = rows.length * g;
        List<PromptExample> rowPrompts = new ArrayList<>(n);
        int[][] ids = new int[n][];
        for (int i = 0; i < n; i++) {
            rowPrompts.add(prompts.get(rows[i / g]));
            ids[i] = rowPrompts.get(i).ids();
        }
        policy.train(false);
        var sampling = SamplingConfig.sampling((float) config.temperature(), seed * 0x9E3779B97F4A7C15L + step);
        var gen = new GenerationConfig(sampling, config.maxCompletionLength(), eosTokenId, padTokenId, Padding.Side.LEFT, true);
        Generation generated = Generator.generate(policy, ids, gen);
        ResponseBatch batch = ResponseBatch.truncatedAtEos(ids, generated.completions(), eosTokenId, padTokenId);
        double[] rewards = scorer.score(batch, rowPrompts);
        Map<String, Double> metrics = new LinkedHashMap<>(groupMetrics(rewards, g));
        double[] advantages = advantages(rewards, g, config.scaleRewards());

        float[] refLogp = null;
        if (config.beta() != 0) {
            try (var noGrad = GradMode.off()) {
                refLogp = ResponseLogProbs.compute(reference, batch, config.temperature(), false).logp().toFloatArray();
            }
        }
        policy.train(true);
        Tensor logp = ResponseLogProbs.compute(policy, batch, config.temperature(), false).logp();
        GrpoLoss.Result loss = GrpoLoss.compute(logp, logp.toFloatArray(), refLogp, advantages, batch.mask(), config);
        loss.loss().backward();
        double gradNorm = update.apply();

        double length = 0;
        for (int len : batch.lengths()) length += len;
        metrics.put("completion_length", length / n);
        metrics.putAll(loss.metrics());
        return new StepResult(loss.loss().item(), gradNorm, n, batch.realTokens(), metrics);
    }

    /** Group-normalised advantages; without scaling only centred on the group mean (TRL's scale_rewards=False). */
    static double[] advantages(double[] rewards, int groupSize, boolean scale) {
        double[] out = new double[rewards.length];
        if (scale) {
            float[] r = new float[rewards.length];
            for (int i = 0; i < r.length; i++) r[i] = (float) rewards[i];
            float[] a = GrpoAdvantages.compute(Tensor.of(r, r.length), groupSize).toFloatArray();
            for (int i = 0; i < a.length; i++) out[i] = a[i];
            return out;
        }
        for (int g0 = 0; g0 < rewards.length; g0 += groupSize) {
            double mean = 0;
            for (int i = g0; i < g0 + groupSize; i++) mean += rewards[i] / groupSize;
            for (int i = g0; i < g0 + groupSize; i++) out[i] = rewards[i] - mean;
        }
        return out;
    }

    /** reward (mean), reward_std (mean of the groups' unbiased stds) and frac_reward_zero_std. */
    private static Map<String, Double> groupMetrics(double[] rewards, int groupSize) {
        int groups = rewards.length / groupSize, zero = 0;
        double mean = 0, stdSum = 0;
        for (int g0 = 0; g0 < rewards.length; g0 += groupSize) {
            double m = 0, ss = 0;
            for (int i = g0; i < g0 + groupSize; i++) m += rewards[i] / groupSize;
            for (int i = g0; i < g0 + groupSize; i++) ss += (rewards[i] - m) * (rewards[i] - m);
            double std = Math.sqrt(ss / (groupSize - 1));
            stdSum += std;
            if (std == 0) zero++;
            mean += m / groups;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("reward", mean);
        out.put("reward_std", stdSum / groups);
        out.put("frac_reward_zero_std", (double) zero / groups);
        return out;
    }

    @Override
    public void save(Path dir) throws IOException {
        saver.save(dir);
    }
}
