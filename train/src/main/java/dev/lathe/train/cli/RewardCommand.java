package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.models.RewardModel;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.HeldOut;
import dev.lathe.train.data.PreferenceData;
import dev.lathe.train.data.PreferenceExample;
import dev.lathe.train.data.TokenizedRows;
import dev.lathe.train.reward.RewardTask;
import dev.lathe.train.trainer.Evaluation;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.NanPolicy;
import dev.lathe.train.trainer.Trainer;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code ./lathe reward}: trains a reward model (GPT-2 or Llama family) on {"prompt","chosen","rejected"} rows. */
public final class RewardCommand implements Command {
    @Override
    public String name() {
        return "reward";
    }

    @Override
    public String summary() {
        return "train a reward model on {\"prompt\",\"chosen\",\"rejected\"} rows (Bradley–Terry loss)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe reward --model DIR --data FILE.jsonl --out OUT [flags]
                Trains a *ForSequenceClassification (GPT-2, Llama, Qwen2, Qwen3; one label) with loss
                −log σ(r_chosen − r_rejected), averaged over rows; a row's reward is the score at the last token of
                prompt + response + eos. DIR is a reward model (with score.weight) or a language model, which gets a
                fresh score head (seeded).
                Writes OUT/metrics.jsonl (one JSON object per step, also on stdout: step, loss, grad_norm,
                learning_rate, tokens_per_second, num_tokens, epoch, accuracy, margin, mean_reward, min_reward,
                max_reward), OUT/checkpoint-N/ and OUT/final/; with evaluation, OUT/eval_metrics.jsonl (step,
                eval_loss, eval_accuracy, eval_margin, ...).
                """ + TrainingFlags.USAGE + "\n" + LoraFlags.USAGE;
    }

    @Override
    public int run(Args given, PrintStream out, PrintStream err) throws IOException {
        Args args = ConfigFile.apply(given);
        Path dir = ModelDirs.requireDir(args.string("model", null));
        Path data = TrainingFlags.data(args);
        DeviceFlags device = DeviceFlags.readWithPrecision(args);
        TrainingConfig config = TrainingFlags.read(args);
        int maxLengthFlag = TrainingFlags.maxLengthFlag(args);
        LoraFlags.Settings lora = LoraFlags.read(args, dir);
        float dropout = TrainingFlags.dropout(args);
        SequencePolicy sequencePolicy = SequencePolicy.of(args);
        NanPolicy nanPolicy = TrainingFlags.nanPolicy(args);
        TrainingFlags.Eval eval = TrainingFlags.eval(args, config.batchSize());
        String resumeFlag = TrainingFlags.resumeFlag(args);
        args.rejectUnknown();
        Path resume = TrainingFlags.resume(resumeFlag, err);
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(dir);
        try (var precision = device.apply();
             RewardModel model = ModelDirs.rewardModelOrNewHead(dir, config.seed(), name(), err)) {
            ModelDirs.requireVocabFits(dir, tokenizer, model.config().vocabSize());
            if (model.numLabels() != 1) {
                throw new UsageException(dir + ": a reward model has one label, this one has " + model.numLabels());
            }
            int maxLength = TrainingFlags.maxLength(maxLengthFlag, model.config().maxPositions());
            var truncation = PreferenceData.Truncation.forContext(maxLength);
            TokenizedRows<PreferenceExample> rows = PreferenceData.load(data, tokenizer, truncation);
            sequencePolicy.check(rows, data, maxLength);
            err.printf("reward: %d rows from %s (%d truncated to %d tokens), %,d parameters%n", rows.rows().size(),
                    data, rows.truncated(), maxLength, model.parameterCount());
            TrainingFlags.applyDropout(dropout, ModelDirs.module(model), config.seed(), err);
            // With LoRA the score head is trained in full and saved with the adapter (PEFT's modules_to_save).
            LoraModel adapters = lora == null ? null
                    : LoraFlags.attach(lora, lora.config(ModelDirs.module(model)).forSequenceClassification("score"), ModelDirs.module(model),
                            config.seed(), err);
            model.to(device.device()); // adapters included, before the optimizer exists
            ModelSaver saver = adapters == null ? target -> model.save(target, DType.F32, dir) : target -> adapters.save(target, dir);
            HeldOut<PreferenceExample> split = eval == null ? new HeldOut<>(rows.rows(), List.of())
                    : eval.split(rows.rows(), config.seed(), file -> PreferenceData.load(file, tokenizer, truncation).rows());
            var trainer = new Trainer(name(), config, out, err, System.console() != null).onNonFinite(nanPolicy);
            if (resume != null) trainer.resumeFrom(resume);
            if (eval != null) {
                err.printf("reward: evaluating on %d rows%n", split.eval().size());
                var held = new RewardTask(model, split.eval(), tokenizer.eosTokenId(), saver);
                trainer.evaluateWith(new Evaluation(held, eval.batchSize(), eval.everySteps()));
            }
            trainer.run(new RewardTask(model, split.train(), tokenizer.eosTokenId(), saver));
        }
        return 0;
    }
}
