package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.models.CausalLm;
import dev.lathe.models.RewardModel;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.PromptExample;
import dev.lathe.train.grpo.GrpoConfig;
import dev.lathe.train.grpo.GrpoTask;
import dev.lathe.train.rollout.CompletionScorer;
import dev.lathe.train.rollout.RewardModelScorer;
import dev.lathe.train.rollout.VerifiableRewards;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.OnlineTrainer;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code ./lathe grpo}: Group Relative Policy Optimization (TRL's GRPOTrainer) on {"prompt"} rows. */
public final class GrpoCommand implements Command {
    @Override
    public String name() {
        return "grpo";
    }

    @Override
    public String summary() {
        return "GRPO with a reward model or a verifiable reward on {\"prompt\"} rows (TRL's GRPOTrainer)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe grpo --model DIR --data FILE.jsonl --out OUT (--reward-model DIR | --reward-fn NAME) [flags]
                Group Relative Policy Optimization of a GPT-2 or Llama-family checkpoint (TRL's GRPOTrainer, one update per
                rollout). Rows are {"prompt": text} or {"prompt": [{"role","content"}...]} (ChatML, ending with the
                assistant's header), plus {"answer"} for exact-answer. One step: --num-generations completions of
                each of --batch-size prompts (stop at eos), a reward each, advantages (r − group mean) / (group std
                + 1e-4), and one AdamW update of the clipped surrogate + beta · k3 KL to the frozen reference, log-probs
                from logits / temperature. Generation, rewards and the reference run in evaluation mode (no
                --dropout), the update in training mode. With --lora-rank the policy trains adapters and OUT/final/
                and checkpoints hold adapter files.
                Writes OUT/metrics.jsonl (per step, also on stdout: step, loss, grad_norm, learning_rate,
                tokens_per_second, num_tokens, episode, epoch, reward, reward_std, frac_reward_zero_std,
                completion_length, kl, clip_ratio), OUT/report.html, OUT/checkpoint-N/ and OUT/final/.
                  --reward-model DIR        *ForSequenceClassification with one label, frozen
                  --reward-fn NAME          exact-answer (1 if the completion's trimmed text equals the row's
                                            "answer") | regex:PATTERN (1 if the completion contains a match)
                  --ref-model DIR           frozen reference (default: a second copy of --model; with
                                            --lora-rank, the policy with its adapters switched off; none if beta is 0)
                  --num-generations 8       completions per prompt (>= 2)
                  --beta 0.04               weight of the KL to the reference
                  --epsilon 0.2             ratio clip
                  --temperature 1.0         sampling temperature (> 0)
                  --max-completion-length 256   completion tokens at most
                  --max-prompt-length 512   prompts keep their last N tokens (default lowered to fit the model)
                  --loss-type grpo          grpo (per-completion token mean) | bnpo (batch token mean) |
                                            dr_grpo (token sum / (completions · max completion length))
                  --scale-rewards true      divide by the group std (false: only centre)
                """ + OnlineFlags.usage("1e-6") + LoraFlags.USAGE;
    }

    @Override
    public int run(Args given, PrintStream out, PrintStream err) throws Exception {
        Args args = OnlineFlags.args(given, "1e-6");
        Path dir = ModelDirs.requireDir(args.string("model", null));
        boolean hasModel = args.has("reward-model"), hasFn = args.has("reward-fn");
        if (hasModel == hasFn) throw new UsageException("give exactly one of --reward-model DIR and --reward-fn NAME");
        Path rewardDir = hasModel ? ModelDirs.requireDir(args.string("reward-model", null)) : null;
        String rewardFn = args.string("reward-fn", null);
        Path refDir = args.has("ref-model") ? ModelDirs.requireDir(args.string("ref-model", null)) : null;
        Path data = TrainingFlags.data(args);
        GrpoConfig grpo = config(args);
        DeviceFlags device = DeviceFlags.readWithPrecision(args);
        TrainingConfig config = OnlineFlags.training(args);
        String resumeFlag = TrainingFlags.resumeFlag(args);
        LoraFlags.Settings lora = LoraFlags.read(args, dir);
        float dropout = TrainingFlags.dropout(args);
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(dir);
        try (var precision = device.apply(); CausalLm policy = ModelDirs.causalLm(dir)) {
            int maxPrompt = OnlineFlags.maxPromptLength(args, policy, grpo.maxCompletionLength(), "--max-completion-length");
            args.rejectUnknown();
            Path resume = TrainingFlags.resume(resumeFlag, err);
            CompletionScorer fn = null;
            if (rewardFn != null) {
                try {
                    fn = VerifiableRewards.named(rewardFn, tokenizer::decode);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--reward-fn: " + e.getMessage());
                }
            }
            boolean needAnswer = rewardFn != null && VerifiableRewards.needsAnswer(rewardFn);
            List<PromptExample> prompts = OnlineFlags.prompts(data, tokenizer, maxPrompt, needAnswer, config.batchSize(), name(), err);
            LoraModel adapters = lora == null ? null : LoraFlags.attach(lora, lora.config(ModelDirs.module(policy)), ModelDirs.module(policy), config.seed(), err);
            policy.to(device.device()); // adapters included; the other models follow the policy
            try (CausalLm reference = grpo.beta() == 0 ? null : OnlineFlags.reference(refDir, dir, policy, adapters);
                 RewardModel reward = rewardDir == null ? null : OnlineFlags.rewardModel(rewardDir, policy, "reward-model")) {
                CompletionScorer scorer = reward != null ? new RewardModelScorer(reward) : fn;
                err.printf("grpo: policy %s (%,d parameters), reference %s, reward %s%n", dir, policy.parameterCount(),
                        reference == null ? "none (beta 0)" : OnlineFlags.describe(refDir, dir, adapters),
                        reward != null ? rewardDir : rewardFn);
                TrainingFlags.applyDropout(dropout, ModelDirs.module(policy), config.seed(), err);
                int eos = tokenizer.eosTokenId();
                Integer pad = policy.config().padTokenId();
                ModelSaver saver = adapters == null ? target -> policy.save(target, DType.F32, dir)
                        : target -> adapters.save(target, dir);
                var task = new GrpoTask(policy, reference, scorer, prompts, grpo, eos, pad != null ? pad : eos,
                        config.seed(), saver);
                new OnlineTrainer(name(), config, out, err, System.console() != null).resumeFrom(resume).run(task);
            }
        }
        return 0;
    }

    /** The GRPO flags, checked. */
    private static GrpoConfig config(Args args) {
        GrpoConfig d = GrpoConfig.defaults();
        String lossType = args.string("loss-type", "grpo");
        if (!lossType.matches("grpo|bnpo|dr_grpo")) {
            throw new UsageException("--loss-type must be grpo, bnpo or dr_grpo, got '" + lossType + "'");
        }
        String scale = args.string("scale-rewards", "true");
        if (!scale.matches("true|false")) throw new UsageException("--scale-rewards expects true or false, got '" + scale + "'");
        try {
            return new GrpoConfig(args.integer("num-generations", d.numGenerations()), args.number("beta", d.beta()),
                    args.number("epsilon", d.epsilon()), args.number("temperature", d.temperature()),
                    args.integer("max-completion-length", d.maxCompletionLength()), GrpoConfig.LossType.parse(lossType),
                    Boolean.parseBoolean(scale));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
