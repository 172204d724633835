package dev.lathe.train.cli;

import dev.lathe.core.DType;
import dev.lathe.kernels.DpoLoss;
import dev.lathe.models.CausalLm;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.HeldOut;
import dev.lathe.train.data.PreferenceData;
import dev.lathe.train.data.PreferenceExample;
import dev.lathe.train.data.TokenizedRows;
import dev.lathe.train.dpo.DpoObjective;
import dev.lathe.train.dpo.DpoTask;
import dev.lathe.train.dpo.ReferenceLogProbs;
import dev.lathe.train.dpo.ReferenceSource;
import dev.lathe.train.trainer.Evaluation;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.NanPolicy;
import dev.lathe.train.trainer.Trainer;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code ./lathe dpo}: Direct Preference Optimization of a causal LM on {"prompt","chosen","rejected"} rows. */
public final class DpoCommand implements Command {
    @Override
    public String name() {
        return "dpo";
    }

    @Override
    public String summary() {
        return "DPO on {\"prompt\",\"chosen\",\"rejected\"} rows against a frozen reference (TRL's losses)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe dpo --model DIR --data FILE.jsonl --out OUT [flags]
                Direct Preference Optimization of a GPT-2 or Llama-family checkpoint (TRL's DPOTrainer). Each row gives
                tok(prompt) + tok(chosen) + [eos] and tok(prompt) + tok(rejected) + [eos]; a side's log-prob is the
                sum over its completion tokens and eos. Message lists (conversational rows, the prompt optional) are
                rendered with ChatML: the prompt ends with <|im_start|>assistant\n, a completion with <|im_end|>
                (no eos). With h = (π_chosen − π_rejected) − (ref_chosen − ref_rejected)
                the loss per row is −log σ(βh) (sigmoid, label smoothing ε mixes in −log σ(−βh)), its robust form,
                relu(1 − βh) (hinge) or (h − 1/(2β))² on per-token means (ipo), averaged over the rows of a step.
                Writes OUT/metrics.jsonl (one JSON object per step, also on stdout: step, loss, grad_norm,
                learning_rate, tokens_per_second, num_tokens, epoch, rewards/chosen, rewards/rejected,
                rewards/accuracies, rewards/margins, logps/chosen, logps/rejected), OUT/checkpoint-N/ and OUT/final/;
                with evaluation, OUT/eval_metrics.jsonl (step, eval_loss, eval_rewards/accuracies, ...).
                  --ref-model DIR           frozen reference (default: a second copy of --model; with
                                            --lora-rank, the policy with its adapters switched off)
                  --beta 0.1                β > 0: strength of the pull towards the reference
                  --loss-type sigmoid       sigmoid | ipo | hinge | robust
                  --label-smoothing 0       ε in [0, 0.5) (sigmoid and robust)
                  --reference-free          the loss ignores the reference; without --ref-model none is loaded
                                            and rewards are β · the policy's log-probs
                  --precompute-ref-log-probs   run the reference over every row once before training, then
                                            free it (with no --ref-model, the untrained policy gives them)
                """ + TrainingFlags.USAGE + "\n" + LoraFlags.USAGE;
    }

    @Override
    public int run(Args given, PrintStream out, PrintStream err) throws IOException {
        Args args = ConfigFile.apply(given);
        Path dir = ModelDirs.requireDir(args.string("model", null));
        Path refDir = args.has("ref-model") ? ModelDirs.requireDir(args.string("ref-model", null)) : null;
        Path data = TrainingFlags.data(args);
        DpoLoss.Config loss = lossConfig(args);
        boolean precompute = args.bool("precompute-ref-log-probs");
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
        boolean noReference = loss.referenceFree() && refDir == null;
        // With LoRA and no --ref-model the reference is the policy with its adapters switched off.
        boolean adaptersOffReference = lora != null && refDir == null && !noReference;
        boolean liveReference = !noReference && !precompute && !adaptersOffReference;
        try (var precision = device.apply(); CausalLm policy = ModelDirs.causalLm(dir)) {
            ModelDirs.requireVocabFits(dir, tokenizer, policy.config().vocabSize());
            int maxLength = TrainingFlags.maxLength(maxLengthFlag, policy.config().maxPositions());
            var truncation = PreferenceData.Truncation.forContext(maxLength);
            TokenizedRows<PreferenceExample> rows = PreferenceData.load(data, tokenizer, truncation);
            sequencePolicy.check(rows, data, maxLength);
            HeldOut<PreferenceExample> split = eval == null ? new HeldOut<>(rows.rows(), List.of())
                    : eval.split(rows.rows(), config.seed(), file -> PreferenceData.load(file, tokenizer, truncation).rows());
            List<PreferenceExample> examples = split.train();
            err.printf("dpo: %d rows from %s (%d truncated to %d tokens), %,d parameters, %s loss, beta %s%n",
                    examples.size(), data, rows.truncated(), maxLength, policy.parameterCount(),
                    loss.type().name().toLowerCase(Locale.ROOT), loss.beta());
            LoraModel adapters = lora == null ? null : LoraFlags.attach(lora, lora.config(ModelDirs.module(policy)), ModelDirs.module(policy), config.seed(), err);
            policy.to(device.device()); // adapters included, before the optimizer exists
            try (CausalLm live = liveReference ? reference(refDir == null ? dir : refDir, policy, maxLength) : null) {
                List<ReferenceSource> references; // for the training rows, then the evaluation rows
                if (adaptersOffReference) {
                    err.println("dpo: reference model the base of the policy (adapters switched off)");
                    ReferenceSource off = (rowIds, batch) -> {
                        try (var base = adapters.disabled()) {
                            return ReferenceLogProbs.of(policy, batch);
                        }
                    };
                    references = List.of(off, off);
                    if (precompute) {
                        try (var base = adapters.disabled()) {
                            references = List.of(ReferenceSource.precomputed(policy, examples, config.batchSize()),
                                    split.eval().isEmpty() ? ReferenceSource.none()
                                            : ReferenceSource.precomputed(policy, split.eval(), config.batchSize()));
                        }
                    }
                } else if (noReference) {
                    err.println("dpo: reference-free, no reference model");
                    references = List.of(ReferenceSource.none(), ReferenceSource.none());
                } else if (precompute) {
                    references = precomputed(refDir, policy, List.of(examples, split.eval()), config.batchSize(), maxLength, err);
                } else {
                    err.println("dpo: reference model " + (refDir == null ? "a frozen copy of " + dir : refDir));
                    references = List.of(ReferenceSource.model(live), ReferenceSource.model(live));
                }
                TrainingFlags.applyDropout(dropout, ModelDirs.module(policy), config.seed(), err); // after any precomputed reference
                var objective = new DpoObjective(policy, loss);
                ModelSaver saver = adapters == null ? target -> policy.save(target, DType.F32, dir)
                        : target -> adapters.save(target, dir);
                var trainer = new Trainer(name(), config, out, err, System.console() != null).onNonFinite(nanPolicy);
                if (resume != null) trainer.resumeFrom(resume);
                if (eval != null) {
                    err.printf("dpo: evaluating on %d rows%n", split.eval().size());
                    var held = new DpoTask(objective, policy, split.eval(), references.get(1), saver);
                    trainer.evaluateWith(new Evaluation(held, eval.batchSize(), eval.everySteps()));
                }
                trainer.run(new DpoTask(objective, policy, examples, references.get(0), saver));
            }
        }
        return 0;
    }

    /** --loss-type, --beta, --label-smoothing and --reference-free, checked. */
    private static DpoLoss.Config lossConfig(Args args) {
        String type = args.string("loss-type", "sigmoid");
        if (!type.matches("sigmoid|ipo|hinge|robust")) {
            throw new UsageException("--loss-type must be sigmoid, ipo, hinge or robust, got '" + type + "'");
        }
        double beta = args.number("beta", 0.1);
        if (!(beta > 0)) throw new UsageException("--beta must be positive, got " + beta);
        double smoothing = args.number("label-smoothing", 0);
        if (!(smoothing >= 0 && smoothing < 0.5)) {
            throw new UsageException("--label-smoothing must be in [0, 0.5), got " + smoothing);
        }
        return new DpoLoss.Config(DpoLoss.Type.parse(type), beta, smoothing, args.bool("reference-free"));
    }

    /**
     * Reference log-probs of every row of each list, computed before training: by the model in {@code refDir},
     * closed afterwards, or with no {@code refDir} by the policy itself, which is still the starting model (a
     * resumed run loads its checkpoint's weights only when training starts).
     */
    private static List<ReferenceSource> precomputed(Path refDir, CausalLm policy, List<List<PreferenceExample>> lists,
                                                     int batchSize, int maxLength, PrintStream err) {
        long start = System.nanoTime();
        List<ReferenceSource> sources = new ArrayList<>();
        try (CausalLm reference = refDir == null ? null : reference(refDir, policy, maxLength)) {
            CausalLm model = reference == null ? policy : reference;
            for (List<PreferenceExample> rows : lists) {
                sources.add(rows.isEmpty() ? ReferenceSource.none() : ReferenceSource.precomputed(model, rows, batchSize));
            }
        }
        err.printf("dpo: reference log-probs of %d rows precomputed (%s) in %.1f s%n",
                lists.stream().mapToInt(List::size).sum(), refDir == null ? "starting policy" : refDir,
                (System.nanoTime() - start) / 1e9);
        return sources;
    }

    /**
     * The reference model in {@code dir}, on the policy's device: it must share the policy's vocabulary and cover its
     * row length.
     */
    private static CausalLm reference(Path dir, CausalLm policy, int maxLength) {
        CausalLm reference = ModelDirs.causalLm(dir);
        reference.train(false);
        String problem = null;
        if (reference.config().vocabSize() != policy.config().vocabSize()) {
            problem = "a vocabulary of " + reference.config().vocabSize() + " tokens, the policy's has "
                    + policy.config().vocabSize();
        } else if (reference.config().maxPositions() < maxLength) {
            problem = reference.config().maxPositions() + " positions, fewer than the rows' " + maxLength + " tokens";
        }
        if (problem != null) {
            reference.close();
            throw new UsageException(dir + ": the reference model has " + problem);
        }
        reference.to(policy.device());
        return reference;
    }
}
