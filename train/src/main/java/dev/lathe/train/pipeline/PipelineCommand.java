package dev.lathe.train.pipeline;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.backend.Backends;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.gpt2.Gpt2RewardModel;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.tokenizer.BpeTrainer;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.Main;
import dev.lathe.train.cli.Args;
import dev.lathe.train.cli.Command;
import dev.lathe.train.cli.UsageException;
import dev.lathe.train.report.PipelineReport;
import dev.lathe.train.trainer.Trainer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code ./lathe pipeline}: the whole of post-training on a built-in task, from nothing — a tokenizer and a small
 * GPT-2 pretrained from scratch, SFT, a reward model, then PPO and DPO from the SFT model — each stage a real run
 * of the same trainer command users call, with its checkpoints, metrics and report under {@code OUT/<stage>/}.
 * Each model is then judged on held-out prompts ({@link ModelEvaluation}) and the table is printed, written to
 * {@code OUT/summary.json} and drawn with every stage's curves into {@code OUT/report.html}.
 */
public final class PipelineCommand implements Command {
    /** Stage folders under OUT, in order. */
    static final List<String> STAGES = List.of("base", "sft", "reward", "dpo", "ppo");

    @Override
    public String name() {
        return "pipeline";
    }

    @Override
    public String summary() {
        return "pretrain → SFT → reward model → PPO and DPO on a built-in sorting task, and a table of what each step did";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe pipeline [--quick] [--out runs/pipeline] [--seed 0] [--device auto|cpu|cuda]
                Runs every stage of post-training on a built-in task: sort a list of distinct digits ("sort 3 8 1:"),
                where the SFT data holds ascending and descending answers in equal parts and the preference is
                ascending. Stages (each a real run of the trainer command, under OUT/<stage>/):
                  base    byte-level BPE trained on the data, GPT-2 (d_model 64, 2 layers) pretrained from scratch on
                          digit lists without the task's format (sft on {"text"} rows)
                  sft     the format, from the base model: both answers, 50/50
                  reward  a reward model from the SFT model on {"prompt","chosen","rejected"} (chosen: ascending)
                  dpo     DPO from the SFT model on the same preferences (reference: the SFT model)
                  ppo     PPO from the SFT model against the reward model
                Then samples one completion per held-out prompt from each model (temperature 1) and prints a table:
                format validity, preferred rate (valid and ascending), mean reward-model score, KL to the SFT model,
                two samples. Writes OUT/summary.json (one object per model) and OUT/report.html (the table and every
                stage's curves). --quick runs shorter stages (about 2 minutes on 2 cores). --device goes to every stage
                and the evaluation runs there too.""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        boolean quick = args.bool("quick");
        Path root = Path.of(args.string("out", "runs/pipeline"));
        long seed = args.integer("seed", 0);
        String device = args.string("device", "auto");
        Device onDevice;
        try {
            onDevice = Backends.select(device).device();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
        args.rejectUnknown();
        PipelineSettings settings = quick ? PipelineSettings.quick() : PipelineSettings.standard();
        long start = System.nanoTime();
        for (String stage : STAGES) deleteRun(root.resolve(stage));

        err.printf("pipeline: generating data under %s%n", root.resolve("data"));
        PipelineData data = PipelineData.write(root.resolve("data"), settings.rows(), settings.evalPrompts(), seed);
        Path init = root.resolve("init");
        ByteLevelBpeTokenizer tokenizer = initialModel(data, init, seed, err);

        var stages = new StageRunner(root, seed, device, err);
        Path base = stages.run("base", "sft", init, data.pretrain, settings.pretrain());
        Path sft = stages.run("sft", "sft", base, data.sft, settings.sft());
        Path reward = stages.run("reward", "reward", sft, data.preferences, settings.reward());
        Path dpo = stages.run("dpo", "dpo", sft, data.preferences, settings.dpo());
        Path ppo = stages.run("ppo", "ppo", sft, data.prompts, settings.ppo(),
                "--reward-model", reward.toString(), "--response-length", Integer.toString(PipelineSettings.MAX_NEW_TOKENS));

        err.printf("pipeline: evaluating base, sft, dpo and ppo on %d held-out prompts%n", data.evaluation.size());
        Map<String, Path> models = new LinkedHashMap<>();
        models.put("base", base);
        models.put("sft", sft);
        models.put("dpo", dpo);
        models.put("ppo", ppo);
        List<ModelSummary> table = new ArrayList<>();
        try (Gpt2Model sftModel = Gpt2Model.load(sft); Gpt2RewardModel rm = Gpt2RewardModel.load(reward)) {
            sftModel.to(onDevice);
            rm.to(onDevice);
            var evaluation = new ModelEvaluation(tokenizer, sftModel, rm, data.evaluation,
                    PipelineSettings.MAX_NEW_TOKENS, seed + 7);
            for (var e : models.entrySet()) {
                try (Gpt2Model m = Gpt2Model.load(e.getValue())) {
                    m.to(onDevice);
                    table.add(evaluation.evaluate(e.getKey(), m));
                }
            }
        }
        SummaryTable.write(root.resolve("summary.json"), table);
        PipelineReport.write(root, STAGES, SummaryTable.COLUMNS, SummaryTable.cells(table));
        out.print(SummaryTable.render(table));
        err.printf("pipeline: done in %.0f s; %s, %s%n", (System.nanoTime() - start) / 1e9,
                root.resolve("summary.json"), root.resolve(PipelineReport.FILE));
        return 0;
    }

    /** Trains the tokenizer on the data and writes a freshly initialised GPT-2 with it to {@code dir}. */
    private static ByteLevelBpeTokenizer initialModel(PipelineData data, Path dir, long seed, PrintStream err)
            throws IOException {
        ByteLevelBpeTokenizer tokenizer = new BpeTrainer(PipelineSettings.VOCAB).train(data.tokenizerCorpus());
        int vocab = tokenizer.vocabSize();
        if (tokenizer.eosTokenId() != vocab - 1) throw new IllegalStateException("the trained eos is not the last id");
        var config = Gpt2Config.of(vocab, PipelineSettings.POSITIONS, PipelineSettings.EMBD, PipelineSettings.LAYERS,
                PipelineSettings.HEADS);
        deleteRun(dir);
        try (Gpt2Model model = Gpt2Model.random(config, new Random(seed))) {
            model.save(dir, DType.F32);
            tokenizer.save(dir);
            err.printf("pipeline: tokenizer of %d tokens, GPT-2 of %,d parameters in %s%n", vocab,
                    model.parameterCount(), dir);
        }
        return tokenizer;
    }

    /** Removes a stage folder of an earlier run, so every table row comes from this run. */
    private static void deleteRun(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** Runs trainer commands as stages: {@code ./lathe COMMAND --model M --data D --out OUT/STAGE …}. */
    private record StageRunner(Path root, long seed, String device, PrintStream err) {
        /** Runs one stage and returns its final model folder. */
        Path run(String stage, String command, Path model, Path data, PipelineSettings.Stage s, String... extra) {
            Path out = root.resolve(stage);
            List<String> argv = new ArrayList<>(List.of(command, "--model", model.toString(), "--data",
                    data.toString(), "--out", out.toString(), "--steps", Integer.toString(s.steps()), "--batch-size",
                    Integer.toString(s.batchSize()), "--lr", Double.toString(s.lr()), "--save-steps", "0",
                    "--seed", Long.toString(seed), "--device", device, "--lr-scheduler-type", "cosine",
                    "--warmup-ratio", "0.05"));
            argv.addAll(s.extraFlags());
            argv.addAll(List.of(extra));
            err.printf("%npipeline: stage %s — ./lathe %s%n", stage, String.join(" ", argv));
            // Stage metrics are in OUT/STAGE/metrics.jsonl; stdout stays the pipeline's table.
            int code = Main.run(argv.toArray(String[]::new), new PrintStream(OutputStream.nullOutputStream()), err);
            if (code != 0) throw new IllegalStateException("stage " + stage + " failed (exit " + code + ")");
            return out.resolve(Trainer.FINAL);
        }
    }
}
