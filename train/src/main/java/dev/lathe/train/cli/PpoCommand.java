package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.kernels.KlEstimator;
import dev.lathe.models.CausalLm;
import dev.lathe.models.RewardModel;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.PromptExample;
import dev.lathe.train.ppo.PpoConfig;
import dev.lathe.train.ppo.PpoTask;
import dev.lathe.train.rollout.RewardModelScorer;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.OnlineTrainer;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** {@code ./lathe ppo}: RLHF with PPO (TRL's PPOTrainer) against a reward model, on {"prompt"} rows. */
public final class PpoCommand implements Command {
    /** Where the value model goes inside a saved run folder. */
    static final String VALUE_MODEL = PpoTask.VALUE_MODEL;

    @Override
    public String name() {
        return "ppo";
    }

    @Override
    public String summary() {
        return "PPO against a reward model on {\"prompt\"} rows (TRL's PPOTrainer)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe ppo --model DIR --reward-model DIR --data FILE.jsonl --out OUT [flags]
                Proximal Policy Optimization of a GPT-2 or Llama-family checkpoint (TRL's PPOTrainer). Rows are {"prompt": text} or
                {"prompt": [{"role","content"}...]} (ChatML, ending with the assistant's header). One step is one
                rollout batch of --batch-size prompts: a response per prompt sampled with the KV cache (stops at eos,
                the tokens after it are padding), the policy's and the reference's log-probs recomputed with logits
                / (temperature + 1e-7), values from the value model, the reward model's score of prompt + response
                at its last real token (minus --missing-eos-penalty without eos), rewards −kl_coef·KL per token +
                the score on the last response token, GAE advantages (whitened) and returns; then
                --num-ppo-epochs passes of --num-mini-batches mini-batches, each one AdamW update of the policy and
                the value model together on the clipped policy loss + vf_coef · clipped value loss. The learning
                rate follows its schedule over steps. With --dropout the rollout runs in evaluation mode, the
                updates in training mode (dropout in the policy and the value model).
                With --lora-rank the policy trains adapters and OUT/final/ and checkpoints hold adapter files; the
                value model stays a full model (as in TRL's PPO with peft), saved in value_model/.
                Writes OUT/metrics.jsonl (per step, also on stdout: step, loss, grad_norm, learning_rate,
                tokens_per_second, num_tokens, episode, epoch, objective/kl, objective/entropy,
                objective/non_score_reward, objective/rlhf_reward, objective/scores, val/num_eos_tokens,
                loss/policy_avg, loss/value_avg, policy/clipfrac_avg, val/clipfrac_avg, policy/approxkl_avg,
                val/ratio, policy/entropy_avg), OUT/report.html, OUT/checkpoint-N/ and OUT/final/ (the policy,
                with the value model in value_model/).
                  --reward-model DIR        *ForSequenceClassification with one label, frozen (required)
                  --value-model DIR         initial value model (default: the reward model, as TRL does)
                  --ref-model DIR           frozen reference (default: a second copy of --model; with
                                            --lora-rank, the policy with its adapters switched off)
                  --kl-coef 0.05            weight of the per-token KL penalty
                  --kl-estimator k1         k1 | k3
                  --cliprange 0.2           policy ratio clip
                  --cliprange-value 0.2     value clip around the rollout's values
                  --vf-coef 0.1             weight of the value loss
                  --gamma 1.0               discount
                  --lam 0.95                GAE lambda
                  --num-ppo-epochs 4        passes over each rollout batch
                  --num-mini-batches 1      updates per pass (must divide --batch-size)
                  --whiten-rewards false    whiten the per-token rewards (mean kept) before GAE
                  --response-length 53      response tokens at most
                  --temperature 0.7         sampling temperature (> 0)
                  --missing-eos-penalty X   subtracted from the score of a response without eos (default: none)
                  --max-prompt-length 512   prompts keep their last N tokens (default lowered to fit the model)
                """ + OnlineFlags.usage("3e-6") + LoraFlags.USAGE;
    }

    @Override
    public int run(Args given, PrintStream out, PrintStream err) throws Exception {
        Args args = OnlineFlags.args(given, "3e-6");
        Path dir = ModelDirs.requireDir(args.string("model", null));
        if (!args.has("reward-model")) throw new UsageException("--reward-model DIR is required");
        Path rewardDir = ModelDirs.requireDir(args.string("reward-model", null));
        Path valueDir = args.has("value-model") ? ModelDirs.requireDir(args.string("value-model", null)) : rewardDir;
        Path refDir = args.has("ref-model") ? ModelDirs.requireDir(args.string("ref-model", null)) : null;
        Path data = TrainingFlags.data(args);
        PpoConfig ppo = config(args);
        DeviceFlags device = DeviceFlags.readWithPrecision(args);
        TrainingConfig config = OnlineFlags.training(args);
        String resumeFlag = TrainingFlags.resumeFlag(args);
        if (config.batchSize() % ppo.numMiniBatches() != 0) {
            throw new UsageException("--num-mini-batches " + ppo.numMiniBatches() + " must divide --batch-size "
                    + config.batchSize());
        }
        LoraFlags.Settings lora = LoraFlags.read(args, dir);
        float dropout = TrainingFlags.dropout(args);
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(dir);
        try (var precision = device.apply(); CausalLm policy = ModelDirs.causalLm(dir)) {
            int maxPrompt = OnlineFlags.maxPromptLength(args, policy, ppo.responseLength(), "--response-length");
            args.rejectUnknown();
            Path resume = TrainingFlags.resume(resumeFlag, err);
            List<PromptExample> prompts = OnlineFlags.prompts(data, tokenizer, maxPrompt, false, config.batchSize(), name(), err);
            LoraModel adapters = lora == null ? null : LoraFlags.attach(lora, lora.config(ModelDirs.module(policy)), ModelDirs.module(policy), config.seed(), err);
            policy.to(device.device()); // adapters included; the other models follow the policy
            try (CausalLm reference = OnlineFlags.reference(refDir, dir, policy, adapters);
                 RewardModel reward = OnlineFlags.rewardModel(rewardDir, policy, "reward-model");
                 RewardModel value = OnlineFlags.rewardModel(valueDir, policy, "value-model")) {
                err.printf("ppo: policy %s (%,d parameters), reference %s, reward model %s, value model %s%n", dir,
                        policy.parameterCount(), OnlineFlags.describe(refDir, dir, adapters), rewardDir, valueDir);
                TrainingFlags.applyDropout(dropout, ModelDirs.module(policy), config.seed(), err);
                TrainingFlags.applyDropout(dropout, ModelDirs.module(value), config.seed() + 1, err); // masks of their own
                int eos = tokenizer.eosTokenId();
                Integer pad = policy.config().padTokenId();
                ModelSaver savePolicy = adapters == null ? target -> policy.save(target, DType.F32, dir)
                        : target -> adapters.save(target, dir);
                var task = new PpoTask(policy, reference, value, new RewardModelScorer(reward), prompts, ppo, eos,
                        pad != null ? pad : eos, config.seed(), target -> {
                            savePolicy.save(target);
                            value.save(target.resolve(VALUE_MODEL), DType.F32, dir);
                        });
                new OnlineTrainer(name(), config, out, err, System.console() != null).resumeFrom(resume).run(task);
            }
        }
        return 0;
    }

    /** The PPO flags, checked. */
    private static PpoConfig config(Args args) {
        PpoConfig d = PpoConfig.defaults();
        String estimator = args.string("kl-estimator", "k1");
        if (!estimator.matches("k1|k3")) throw new UsageException("--kl-estimator must be k1 or k3, got '" + estimator + "'");
        try {
            return new PpoConfig(args.number("kl-coef", d.klCoef()), KlEstimator.valueOf(estimator.toUpperCase(Locale.ROOT)),
                    args.number("cliprange", d.cliprange()), args.number("cliprange-value", d.cliprangeValue()),
                    args.number("vf-coef", d.vfCoef()), args.number("gamma", d.gamma()), args.number("lam", d.lam()),
                    args.integer("num-ppo-epochs", d.numPpoEpochs()), args.integer("num-mini-batches", d.numMiniBatches()),
                    args.bool("whiten-rewards"), args.number("temperature", d.temperature()),
                    args.integer("response-length", d.responseLength()),
                    args.number("missing-eos-penalty", d.missingEosPenalty()));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
