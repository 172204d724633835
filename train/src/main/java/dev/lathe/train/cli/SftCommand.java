package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.models.CausalLm;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.HeldOut;
import dev.lathe.train.data.SftData;
import dev.lathe.train.data.SftExample;
import dev.lathe.train.data.TokenizedRows;
import dev.lathe.train.sft.SftTask;
import dev.lathe.train.trainer.Evaluation;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.NanPolicy;
import dev.lathe.train.trainer.Trainer;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** {@code ./lathe sft}: supervised fine-tuning of a causal LM on {"prompt","completion"} or {"messages"} rows. */
public final class SftCommand implements Command {
    @Override
    public String name() {
        return "sft";
    }

    @Override
    public String summary() {
        return "supervised fine-tuning on {\"prompt\",\"completion\"} or {\"messages\"} rows (completion-only loss)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe sft --model DIR --data FILE.jsonl --out OUT [flags]
                Fine-tunes a GPT-2 or Llama-family checkpoint (Hugging Face folder with tokenizer files) on JSONL rows
                {"prompt": ..., "completion": ...}: ids = tok(prompt) + tok(completion) + [eos], loss = mean NLL over
                the completion tokens and eos of each optimizer step (token-weighted across micro-batches).
                Conversational rows {"messages": [{"role", "content"}, ...]} (or "prompt" and "completion" as
                message lists) are rendered with ChatML, <|im_start|>{role}\n{content}<|im_end|>\n, and the loss
                covers the assistant contents and their <|im_end|> (of the completion only, for prompt/completion).
                Writes OUT/metrics.jsonl (one JSON object per step, also on stdout: step, loss, grad_norm,
                learning_rate, tokens_per_second, num_tokens, epoch), OUT/checkpoint-N/ and OUT/final/; with
                evaluation, OUT/eval_metrics.jsonl (step, eval_loss: the token mean over the evaluation rows).
                  --packing                 pack rows into --max-length rows (best-fit decreasing); each row keeps
                                            its positions from 0 and attends only within itself
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
        boolean packing = args.bool("packing");
        SequencePolicy sequencePolicy = SequencePolicy.of(args);
        NanPolicy nanPolicy = TrainingFlags.nanPolicy(args);
        TrainingFlags.Eval eval = TrainingFlags.eval(args, config.batchSize());
        String resumeFlag = TrainingFlags.resumeFlag(args);
        args.rejectUnknown();
        Path resume = TrainingFlags.resume(resumeFlag, err);
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(dir);
        try (var precision = device.apply(); CausalLm model = ModelDirs.causalLm(dir)) {
            ModelDirs.requireVocabFits(dir, tokenizer, model.config().vocabSize());
            int maxLength = TrainingFlags.maxLength(maxLengthFlag, model.config().maxPositions());
            TokenizedRows<SftExample> rows = SftData.load(data, tokenizer, maxLength);
            sequencePolicy.check(rows, data, maxLength);
            if (rows.rows().isEmpty()) throw new UsageException(data + ": no rows");
            err.printf("sft: %d rows from %s (%d truncated to %d tokens), %,d parameters%n", rows.rows().size(),
                    data, rows.truncated(), maxLength, model.parameterCount());
            TrainingFlags.applyDropout(dropout, ModelDirs.module(model), config.seed(), err);
            LoraModel adapters = lora == null ? null : LoraFlags.attach(lora, lora.config(ModelDirs.module(model)), ModelDirs.module(model), config.seed(), err);
            model.to(device.device()); // adapters included, before the optimizer exists
            ModelSaver saver = adapters == null ? target -> model.save(target, DType.F32, dir) : target -> adapters.save(target, dir);
            HeldOut<SftExample> split = eval == null ? new HeldOut<>(rows.rows(), List.of())
                    : eval.split(rows.rows(), config.seed(), file -> SftData.load(file, tokenizer, maxLength).rows());
            var trainer = new Trainer(name(), config, out, err, System.console() != null).onNonFinite(nanPolicy);
            if (resume != null) trainer.resumeFrom(resume);
            if (eval != null) {
                if (split.eval().isEmpty()) throw new UsageException(eval.data() + ": no rows");
                err.printf("sft: evaluating on %d rows%n", split.eval().size());
                var held = new SftTask(model, split.eval(), tokenizer.eosTokenId(), saver);
                trainer.evaluateWith(new Evaluation(held, eval.batchSize(), eval.everySteps()));
            }
            var task = packing ? SftTask.packed(model, split.train(), maxLength, tokenizer.eosTokenId(), saver)
                    : new SftTask(model, split.train(), tokenizer.eosTokenId(), saver);
            if (packing) err.printf("sft: packed into %d rows of up to %d tokens%n", task.size(), maxLength);
            trainer.run(task);
        }
        return 0;
    }
}
