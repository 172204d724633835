package dev.lathe.train.trainer;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.DropoutKeys;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.GradClip;
import dev.lathe.core.optim.LrSchedule;
import dev.lathe.train.data.EpochSampler;
import dev.lathe.train.distributed.GradientBuckets;
import dev.lathe.train.distributed.Shards;
import dev.lathe.train.distributed.World;
import dev.lathe.train.report.RunReport;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loop of online RL trainers (TRL's PPOTrainer / GRPOTrainer): each step draws {@code batchSize} prompts
 * (seeded epochs over the data; an epoch's short last batch is skipped, as TRL drops it), and the task rolls them out and updates the model. The learning rate follows
 * the schedule over steps (TRL steps its scheduler once per rollout batch) and is constant within a step.
 * Metrics go to {@code OUT/metrics.jsonl}, checkpoints every {@code saveSteps} (as {@link Trainer}'s: the trained
 * model(s), optimizer moments, loop state, checksums; a run resumes from one exactly), the model to
 * {@code OUT/final/}, and the report is redrawn at each of them.
 *
 * <p>Data parallel ({@link World}, e.g. under {@code mpirun}): {@code batchSize} is per rank, so a step draws
 * {@code batchSize × ranks} prompts (the sampler of one process with that batch) and each rank rolls out its
 * {@link Shards} slice of them. Each update averages the gradients over the ranks before clipping, so every rank
 * applies the same update and the weights stay identical (checked at the end); the step's loss, grad norm and
 * task metrics are means over the ranks, completions and tokens sums. Rank 0 alone writes metrics, checkpoints,
 * the final model and the report.
 */
public final class OnlineTrainer {
    private final String command;
    private final TrainingConfig config;
    private final PrintStream out;
    private PrintStream err;
    private final boolean terminal;
    private Path resume;

    /** As {@link Trainer}'s constructor. */
    public OnlineTrainer(String command, TrainingConfig config, PrintStream out, PrintStream err, boolean terminal) {
        this.command = command;
        this.config = config;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /**
     * Continues the run saved in {@code checkpoint} (a folder {@link Checkpoints#resumable} accepted; null: a fresh
     * run): its weights, optimizer moments and step count, schedule and sampler position, token and episode counts
     * replace the fresh ones, and the run goes on to the configured total steps. Each step's sampling and
     * mini-batch order derive from (seed, step), so the resumed steps are the uninterrupted run's.
     */
    public OnlineTrainer resumeFrom(Path checkpoint) {
        this.resume = checkpoint;
        return this;
    }

    /** Trains {@code task} to the end; returns the metrics of every step it ran, in order. */
    public List<Map<String, Number>> run(OnlineTask task) throws IOException {
        World world = World.current(task.namedParameters().values());
        if (world.size() == 1) return run(task, world);
        if (!world.isLeader()) err = new PrintStream(OutputStream.nullOutputStream());
        try {
            List<Map<String, Number>> history = run(task, world);
            world.barrier();
            return history;
        } catch (IOException | RuntimeException | Error e) {
            world.abort(e);
            throw e;
        }
    }

    private List<Map<String, Number>> run(OnlineTask task, World world) throws IOException {
        Files.createDirectories(config.out());
        int globalBatch = config.batchSize() * world.size();
        boolean leader = world.isLeader();
        if (task.size() < globalBatch) {
            throw new IllegalArgumentException(task.size() + " prompts do not fill a batch of " + globalBatch);
        }
        long total = config.totalSteps(task.size());
        LrSchedule schedule = LrSchedule.named(config.scheduler(), config.warmup(total), total);
        Map<String, Tensor> named = task.namedParameters();
        List<Tensor> params = new ArrayList<>(named.values());
        List<Map<String, Number>> history = new ArrayList<>();
        try (AdamW optimizer = Optimizers.adamW(named, config);
             GradientBuckets buckets = new GradientBuckets(world, params, GradientBuckets.DEFAULT_BUCKET_BYTES)) {
            TrainerState start = resume == null ? null : ResumableCheckpoint.restore(resume, task.size(),
                    config.withBatchSize(globalBatch), task::load, optimizer, named, err);
            long done = start == null ? 0 : start.globalStep();
            EpochSampler sampler = start == null ? new EpochSampler(task.size(), globalBatch, config.seed()) : start.sampler();
            long tokensSeen = start == null ? 0 : start.numTokens();
            long episodes = start == null ? 0 : start.episodes();
            var progress = new ProgressLine(err, terminal, done, total);
            err.printf("training: %d prompts, %d steps of %d prompts, lr %.3g (%s)%n", task.size(), total,
                    globalBatch, config.lr(), config.scheduler());
            OnlineTask.Update update = () -> {
                if (world.size() > 1) buckets.finish(1.0 / world.size()); // each rank's loss is its shard's mean
                GradClip.Clip clip = GradClip.measure(params, config.maxGradNorm());
                optimizer.step(clip.coefficient());
                params.forEach(Tensor::zeroGrad);
                return clip.norm();
            };
            try (MetricsLog log = leader ? new MetricsLog(config.out().resolve(Trainer.METRICS), out, done) : null) {
                for (long step = done + 1; step <= total; step++) {
                    long begin = System.nanoTime();
                    DropoutKeys.startStep(step); // masks keyed by step: a resumed run draws the same ones
                    double lr = config.lr() * schedule.factor(step - 1);
                    optimizer.setLr((float) lr);
                    params.forEach(Tensor::zeroGrad);
                    int[] prompts = sampler.next();
                    while (prompts.length < globalBatch) prompts = sampler.next(); // TRL drops a short last batch
                    OnlineTask.StepResult r;
                    try (var s = Scope.open()) {
                        r = task.step(Shards.of(prompts, world.rank(), world.size()), step, update);
                    }
                    if (world.size() > 1) r = OnlineStepReduction.reduce(r, world);
                    tokensSeen += r.tokens();
                    episodes += r.completions();
                    Map<String, Number> metrics = new LinkedHashMap<>();
                    metrics.put("loss", r.loss());
                    metrics.put("grad_norm", r.gradNorm());
                    metrics.put("learning_rate", lr);
                    metrics.put("tokens_per_second", r.tokens() / ((System.nanoTime() - begin) / 1e9));
                    metrics.put("num_tokens", tokensSeen);
                    metrics.put("episode", episodes);
                    metrics.put("epoch", sampler.epoch());
                    metrics.putAll(r.metrics());
                    if (leader) log.write(step, metrics);
                    progress.update(step, r.loss(), metrics.get("tokens_per_second").doubleValue());
                    history.add(metrics);
                    if (leader && config.saveSteps() > 0 && step % config.saveSteps() == 0) {
                        var state = TrainerState.of(step, total, tokensSeen, optimizer.stepCount(), config.gradAccum(), sampler)
                                .withEpisodes(episodes);
                        ResumableCheckpoint.save(config.out().resolve(Checkpoints.PREFIX + step), task::save, optimizer,
                                named, state, config, config.lr() * schedule.factor(step));
                        writeReport();
                    }
                }
            }
            if (world.size() > 1) OnlineStepReduction.checkIdentical(params, world, err);
        } finally {
            params.forEach(Tensor::zeroGrad);
        }
        if (!leader) return history;
        Checkpoints.save(config.out().resolve(Trainer.FINAL), task::save);
        writeReport();
        err.println("training: done; model in " + config.out().resolve(Trainer.FINAL));
        return history;
    }

    /** Redraws {@code OUT/report.html}; a report that cannot be written is a warning, never the end of training. */
    private void writeReport() {
        try {
            RunReport.write(config.out(), command);
        } catch (IOException | RuntimeException e) {
            err.println("warning: could not write " + config.out().resolve(RunReport.FILE) + ": " + e);
        }
    }
}
