package dev.lathe.train.cli;

import dev.lathe.models.CausalLm;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.RewardModel;
import dev.lathe.models.lora.AdaptersOffModel;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.PromptData;
import dev.lathe.train.data.PromptExample;
import dev.lathe.train.data.TokenizedRows;
import dev.lathe.train.rollout.RewardModelPass;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the online RL commands (ppo, grpo) share: their training flags, prompts and extra models. */
final class OnlineFlags {
    /** TRL's default max_prompt_length (GRPOConfig). */
    static final int MAX_PROMPT_LENGTH = 512;

    private OnlineFlags() {}

    /**
     * The shared training flags' usage with this command's learning-rate default, without the flags an online
     * step has no use for (--grad-accum, --max-length: a step is one rollout batch, prompts have their own limit).
     */
    static String usage(String lr) {
        StringBuilder out = new StringBuilder();
        for (String line : TrainingFlags.USAGE.split("\n")) {
            String flag = line.strip();
            if (flag.startsWith("--grad-accum") || flag.startsWith("--max-length")) continue;
            if (flag.startsWith("--lr 5e-5")) line = line.replace("--lr 5e-5", "--lr " + lr);
            if (flag.startsWith("--batch-size")) line = line.replace("examples per micro-batch", "prompts per step (one rollout batch)");
            if (flag.startsWith("--steps")) line = line.replace("optimizer steps", "rollout steps");
            if (flag.startsWith("--seed")) line = line.replace("shuffling seed", "shuffling, sampling and mini-batch seed");
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The command line over the --config file's values, over {@code lr} as the learning-rate default. */
    static Args args(Args given, String lr) throws IOException {
        return ConfigFile.apply(given).withFallbacks(Map.of("lr", lr));
    }

    /** The shared flags; --grad-accum must stay 1. */
    static TrainingConfig training(Args args) {
        TrainingConfig config = TrainingFlags.read(args);
        if (config.gradAccum() != 1) {
            throw new UsageException("--grad-accum does not apply: a step is one rollout batch (use --num-mini-batches)");
        }
        return config;
    }

    /** The prompts of {@code data}, at most {@code maxPromptLength} tokens (the last ones) each, at least a batch of them. */
    static List<PromptExample> prompts(Path data, ByteLevelBpeTokenizer tok, int maxPromptLength, boolean needAnswer,
                                       int batchSize, String command, PrintStream err) throws IOException {
        TokenizedRows<PromptExample> rows = PromptData.load(data, tok, maxPromptLength, needAnswer);
        if (rows.rows().size() < batchSize) {
            throw new UsageException(data + ": " + rows.rows().size() + " prompts do not fill one batch (--batch-size "
                    + batchSize + ")");
        }
        err.printf("%s: %d prompts from %s (%d cut to their last %d tokens)%n", command, rows.rows().size(), data,
                rows.truncated(), maxPromptLength);
        return rows.rows();
    }

    /**
     * --max-prompt-length: given, it must leave room for {@code newTokens} in the model's positions; by default
     * TRL's 512, lowered to what the positions allow.
     */
    static int maxPromptLength(Args args, CausalLm model, int newTokens, String newTokensFlag) {
        int room = model.config().maxPositions() - newTokens;
        if (room < 1) {
            throw new UsageException(newTokensFlag + " " + newTokens + " leaves no room for a prompt in the model's "
                    + model.config().maxPositions() + " positions");
        }
        if (!args.has("max-prompt-length")) return Math.min(MAX_PROMPT_LENGTH, room);
        int max = args.integer("max-prompt-length", MAX_PROMPT_LENGTH);
        if (max < 1 || max > room) {
            throw new UsageException("--max-prompt-length must be in [1, " + room + "] (the model's "
                    + model.config().maxPositions() + " positions less " + newTokens + " new tokens), got " + max);
        }
        return max;
    }

    /**
     * The frozen reference, in evaluation mode on the policy's device: the model in {@code refDir} if given, else the
     * policy with its adapters switched off under LoRA (no second copy of the weights), else a copy of
     * {@code policyDir}.
     */
    static CausalLm reference(Path refDir, Path policyDir, CausalLm policy, LoraModel adapters) {
        if (refDir == null && adapters != null) return new AdaptersOffModel(policy, adapters);
        return reference(refDir != null ? refDir : policyDir, policy);
    }

    /** How {@link #reference(Path, Path, CausalLm, LoraModel)} chose the reference, for the log. */
    static String describe(Path refDir, Path policyDir, LoraModel adapters) {
        if (refDir != null) return refDir.toString();
        return adapters != null ? "the policy with its adapters switched off" : "a frozen copy of " + policyDir;
    }

    /** A frozen copy of a policy from {@code dir} in evaluation mode, checked to share its vocabulary. */
    private static CausalLm reference(Path dir, CausalLm policy) {
        CausalLm reference = ModelDirs.causalLm(dir);
        reference.train(false);
        if (reference.config().vocabSize() != policy.config().vocabSize()) {
            reference.close();
            throw new UsageException(dir + ": the reference model has a vocabulary of " + reference.config().vocabSize()
                    + " tokens, the policy's has " + policy.config().vocabSize());
        }
        reference.to(policy.device());
        return reference;
    }

    /**
     * A one-label *ForSequenceClassification from {@code dir} sharing the policy's vocabulary, in evaluation mode on
     * the policy's device.
     */
    static RewardModel rewardModel(Path dir, CausalLm policy, String flag) {
        RewardModel model;
        try {
            model = ModelFamilies.loadRewardModel(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("--" + flag + ": cannot load a reward model from " + dir + ": " + e.getMessage(), e);
        }
        try {
            RewardModelPass.requireOneLabel(model, dir.toString());
            if (model.config().vocabSize() != policy.config().vocabSize()) {
                throw new IllegalArgumentException(dir + " has a vocabulary of " + model.config().vocabSize()
                        + " tokens, the policy's has " + policy.config().vocabSize());
            }
            model.train(false);
            model.to(policy.device());
            return model;
        } catch (IllegalArgumentException e) {
            model.close();
            throw new UsageException("--" + flag + ": " + e.getMessage());
        }
    }
}
