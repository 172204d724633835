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
 * The loop every trainer shares, Hugging Face Trainer's semantics: seeded shuffled micro-batches, gradient
 * accumulation over {@code gradAccum} of them with the loss normalised over the whole step, global-norm
 * clipping, AdamW with a warmup + decay schedule, one metrics line per step, periodic checkpoints and a final
 * model, and the run's report redrawn at each of them. A run can resume from a checkpoint exactly (the same
 * metrics as the uninterrupted run) and evaluate on held-out rows as it goes.
 *
 * <p>Per optimizer step s (1-based): lr = peak · schedule(s − 1); {@code grad_norm} is the global L2 norm of the
 * accumulated gradient before clipping; {@code learning_rate} is the rate this step used.
 *
 * <p>Data parallel ({@link World}, e.g. under {@code mpirun}): {@code batchSize} is per rank, so a step consumes
 * batchSize × gradAccum × ranks rows, drawn as one process drawing micro-batches of batchSize × ranks would;
 * each rank runs its {@link Shards} slice of every micro-batch, gradients are summed over ranks in buckets
 * during the last backward of the step, and loss and metrics are reduced, so every rank takes the same step
 * as that one process. Rank 0 alone writes metrics, evaluations, checkpoints and reports.
 */
public final class Trainer {
    /** Files and folders of a run. */
    public static final String METRICS = "metrics.jsonl";
    public static final String FINAL = "final";
    public static final String EVAL_METRICS = "eval_metrics.jsonl";

    private final String command;
    private final TrainingConfig config;
    private final PrintStream out;
    private PrintStream err;
    private final boolean terminal;
    private NanPolicy nanPolicy = NanPolicy.STOP;
    private Path resume;
    private Evaluation evaluation;

    /**
     * @param command the command being run (sft, reward, dpo), the report's title
     * @param out receives a copy of every metrics line (stdout), or null
     * @param err receives the progress line and logs
     * @param terminal whether err is a terminal (the progress line is then rewritten in place)
     */
    public Trainer(String command, TrainingConfig config, PrintStream out, PrintStream err, boolean terminal) {
        this.command = command;
        this.config = config;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /** What a step with a NaN or infinite loss or gradient does (default: stop the run). */
    public Trainer onNonFinite(NanPolicy policy) {
        this.nanPolicy = policy;
        return this;
    }

    /**
     * Continues the run saved in {@code checkpoint} (a folder {@link Checkpoints#resumable} accepted): its weights,
     * optimizer moments and step count, schedule position and sampler position replace the fresh ones, and the
     * run goes on to the configured total steps.
     */
    public Trainer resumeFrom(Path checkpoint) {
        this.resume = checkpoint;
        return this;
    }

    /** Evaluates the model on held-out rows while training, into {@code OUT/eval_metrics.jsonl}. */
    public Trainer evaluateWith(Evaluation evaluation) {
        this.evaluation = evaluation;
        return this;
    }

    /** Trains {@code task} to the end; returns the last step's metrics. */
    public Map<String, Number> run(TrainingTask task) throws IOException {
        World world = World.current(task.namedParameters().values());
        if (world.size() == 1) return run(task, world);
        if (!world.isLeader()) err = new PrintStream(OutputStream.nullOutputStream());
        try {
            Map<String, Number> last = run(task, world);
            world.barrier();
            return last;
        } catch (IOException | RuntimeException | Error e) {
            world.abort(e);
            throw e;
        }
    }

    private Map<String, Number> run(TrainingTask task, World world) throws IOException {
        Files.createDirectories(config.out());
        int globalMicroBatch = config.batchSize() * world.size();
        long total = config.totalSteps(task.size());
        LrSchedule schedule = LrSchedule.named(config.scheduler(), config.warmup(total), total);
        Map<String, Tensor> named = task.namedParameters();
        List<Tensor> params = new ArrayList<>(named.values());
        Map<String, Number> last = Map.of();
        try (AdamW optimizer = Optimizers.adamW(named, config);
             GradientBuckets buckets = new GradientBuckets(world, params, GradientBuckets.DEFAULT_BUCKET_BYTES)) {
            TrainerState start = resume == null ? null : ResumableCheckpoint.restore(resume, task.size(),
                    config.withBatchSize(globalMicroBatch), dir -> Checkpoints.loadWeights(dir, named), optimizer, named, err);
            long done = start == null ? 0 : start.globalStep();
            EpochSampler sampler = start == null ? new EpochSampler(task.size(), globalMicroBatch, config.seed()) : start.sampler();
            long tokensSeen = start == null ? 0 : start.numTokens();
            var progress = new ProgressLine(err, terminal, done, total);
            err.printf("training: %d examples, %d steps of %d × %d examples, lr %.3g (%s)%n", task.size(), total,
                    config.gradAccum(), globalMicroBatch, config.lr(), config.scheduler());
            boolean leader = world.isLeader();
            try (MetricsLog log = leader ? new MetricsLog(config.out().resolve(METRICS), out, done) : null;
                 MetricsLog evalLog = evaluation == null || !leader ? null : new MetricsLog(config.out().resolve(EVAL_METRICS), null, done)) {
                long loopStart = System.nanoTime();
                for (long step = done + 1; step <= total; step++) {
                    long begin = System.nanoTime();
                    DropoutKeys.startStep(step); // masks keyed by step: a resumed run draws the same ones
                    List<int[]> micro = new ArrayList<>();
                    double normaliser = 0;
                    for (int m = 0; m < config.gradAccum(); m++) {
                        int[] batch = sampler.next();
                        micro.add(batch);
                        for (int i : batch) normaliser += task.normaliserShare(i);
                    }
                    params.forEach(Tensor::zeroGrad);
                    StepMetrics own = new StepMetrics();
                    double loss = 0;
                    long tokens = 0;
                    for (int m = 0; m < micro.size(); m++) {
                        int[] mine = Shards.of(micro.get(m), world.rank(), world.size());
                        if (mine.length == 0) continue;
                        try (var s = Scope.open();
                             var sync = world.size() > 1 && m == micro.size() - 1 ? buckets.overlap() : null) {
                            TrainingTask.MicroStep r = task.accumulate(mine, normaliser, own);
                            loss += r.loss();
                            tokens += r.tokens();
                        }
                    }
                    if (world.size() > 1) {
                        buckets.finish(1);
                        double[] sums = {loss, tokens};
                        world.allReduce(sums, World.Reduction.SUM);
                        loss = sums[0];
                        tokens = (long) sums[1];
                        own = StepMetricsReduction.reduce(own, world);
                    }
                    // The clip coefficient goes into the AdamW update (no scaling pass over the gradients).
                    GradClip.Clip clip = GradClip.measure(params, config.maxGradNorm());
                    double gradNorm = clip.norm();
                    boolean skipped = !Double.isFinite(loss) || !Double.isFinite(gradNorm);
                    if (skipped) {
                        String culprit = NanPolicy.culprit(loss, named);
                        if (nanPolicy == NanPolicy.STOP) {
                            throw new NonFiniteException("step " + step + ": the " + culprit + " is not finite (loss "
                                    + loss + ", grad_norm " + gradNorm + "); --nan-policy skip skips such steps");
                        }
                        err.println("step " + step + ": skipped, the " + culprit + " is not finite");
                        params.forEach(Tensor::zeroGrad);
                    }
                    double lr = config.lr() * schedule.factor(step - 1);
                    optimizer.setLr((float) lr);
                    if (!skipped) optimizer.step(clip.coefficient());
                    tokensSeen += tokens;
                    double tokensPerSecond = tokens / ((System.nanoTime() - begin) / 1e9);

                    Map<String, Number> metrics = new LinkedHashMap<>();
                    metrics.put("loss", loss);
                    metrics.put("grad_norm", gradNorm);
                    metrics.put("learning_rate", lr);
                    metrics.put("tokens_per_second", tokensPerSecond);
                    metrics.put("num_tokens", tokensSeen);
                    metrics.put("epoch", sampler.epoch());
                    metrics.putAll(own.values());
                    if (skipped) metrics.put("skipped", 1);
                    if (leader) log.write(step, metrics);
                    progress.update(step, loss, tokensPerSecond);
                    last = metrics;
                    if (leader && evaluation != null && evaluation.due(step, total, config.saveSteps())) {
                        evalLog.write(step, evaluation.run());
                    }
                    if (leader && config.saveSteps() > 0 && step % config.saveSteps() == 0) {
                        var state = TrainerState.of(step, total, tokensSeen, optimizer.stepCount(), config.gradAccum(), sampler);
                        ResumableCheckpoint.save(config.out().resolve(Checkpoints.PREFIX + step), task::save, optimizer,
                                named, state, config, config.lr() * schedule.factor(step));
                        writeReport();
                    }
                }
                if (world.size() > 1) {
                    err.printf("distributed: %d gradient buckets; all-reduce %.2f s on the communication thread, %.2f s"
                            + " of it waited for after backward, in %.2f s of steps%n", buckets.count(),
                            world.gradientReduceNanos() / 1e9, buckets.exposedCommunicationNanos() / 1e9,
                            (System.nanoTime() - loopStart) / 1e9);
                }
            }
        } finally {
            params.forEach(Tensor::zeroGrad);
        }
        if (!world.isLeader()) return last;
        Checkpoints.save(task, config.out().resolve(FINAL));
        writeReport();
        err.println("training: done; model in " + config.out().resolve(FINAL));
        return last;
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
