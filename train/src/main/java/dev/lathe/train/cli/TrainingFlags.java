package dev.lathe.train.cli;

import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.Module;
import dev.lathe.train.data.HeldOut;
import dev.lathe.train.trainer.Checkpoints;
import dev.lathe.train.trainer.NanPolicy;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/** The flags every training command shares, read into a {@link TrainingConfig}. */
final class TrainingFlags {
    /** Usage lines for the shared flags, with their defaults. */
    static final String USAGE = """
              --out DIR                 run folder: metrics.jsonl, checkpoint-N/, final/ (required)
              --lr 5e-5                 peak learning rate (AdamW, betas 0.9/0.999, eps 1e-8)
              --weight-decay 0          decoupled weight decay (not on biases and LayerNorm weights)
              --lr-scheduler-type linear   linear | cosine | constant
              --warmup-steps 0 | --warmup-ratio 0
              --batch-size 8            examples per micro-batch
              --grad-accum 1            micro-batches per optimizer step
              --steps N | --epochs 3    optimizer steps, or passes over the data
              --max-grad-norm 1.0       clip the global gradient norm (0: off)
              --max-length N            truncate rows to N tokens (default: the model's n_positions)
              --sequence-policy truncate   longer rows: truncate, or refuse (exit 2 naming the line)
              --save-steps 500          write OUT/checkpoint-N every N steps (0: only OUT/final)
              --seed 42                 shuffling seed
              --dropout 0               dropout probability at every site (GPT-2: embd, attn, resid; Llama
                                        family: attention probabilities); the checkpoint's *_pdrop and
                                        attention_dropout values are ignored: off unless given
              --nan-policy stop         a NaN/Inf loss or gradient: stop naming step and tensor, or skip the step
              --device auto|cpu|cuda    where the models run (auto: the GPU when one is usable, else the CPU)
              --bf16                    BF16 mixed precision: GEMM operands rounded to BF16, F32 accumulation;
                                        F32 master weights, gradients and optimizer moments (TRL's bf16)
              --tf32                    let the GPU's F32 GEMMs use TF32 tensor cores (TRL's tf32; cuda only)
              --resume DIR              continue from OUT/checkpoint-N (weights, optimizer, schedule, data order),
                                        or from a run folder's newest complete checkpoint; on to --steps in total
              --eval-data FILE | --eval-fraction F   evaluate on FILE's rows, or on a seeded fraction F of --data
                                        held out of training; one line per evaluation in OUT/eval_metrics.jsonl
              --eval-steps N            evaluate every N steps (default: at each checkpoint and the last step)
              --eval-batch-size N       examples per evaluation micro-batch (default: --batch-size)
              --config run.json         flag values as JSON (keys kebab- or snake_case); flags given here win""";

    private TrainingFlags() {}

    static TrainingConfig read(Args args) {
        String out = args.string("out", null);
        if (out == null) throw new UsageException("--out DIR is required");
        int steps = args.integer("steps", 0);
        double epochs = args.number("epochs", 3);
        if (args.has("steps") && args.has("epochs")) throw new UsageException("give --steps or --epochs, not both");
        if (args.has("steps") && steps < 1) throw new UsageException("--steps must be at least 1, got " + steps);
        String scheduler = args.string("lr-scheduler-type", "linear");
        if (!scheduler.matches("linear|cosine|constant")) {
            throw new UsageException("--lr-scheduler-type must be linear, cosine or constant, got '" + scheduler + "'");
        }
        try {
            return new TrainingConfig(Path.of(out), args.number("lr", 5e-5), args.number("weight-decay", 0),
                    0.9, 0.999, 1e-8, scheduler, args.integer("warmup-steps", 0), args.number("warmup-ratio", 0),
                    args.integer("batch-size", 8), args.integer("grad-accum", 1), steps, epochs,
                    args.number("max-grad-norm", 1.0), args.integer("seed", 42), args.integer("save-steps", 500));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** {@code --nan-policy stop|skip}. */
    static NanPolicy nanPolicy(Args args) {
        String v = args.string("nan-policy", "stop");
        return switch (v) {
            case "stop" -> NanPolicy.STOP;
            case "skip" -> NanPolicy.SKIP;
            default -> throw new UsageException("--nan-policy must be stop or skip, got '" + v + "'");
        };
    }

        /** {@code --max-length} as given (0: not given), checked against the model later by {@link #maxLength}. */
    static int maxLengthFlag(Args args) {
        return args.integer("max-length", 0);
    }

    /** The row length limit: the flag's value, else the model's positions; never more than those. */
    static int maxLength(int flag, int modelPositions) {
        int max = flag == 0 ? modelPositions : flag;
        if (max < 2 || max > modelPositions) {
            throw new UsageException("--max-length must be in [2, " + modelPositions + "] (the model's positions), got " + max);
        }
        return max;
    }

    /** {@code --dropout P}: 0 (off) unless given, whatever the checkpoint's config says. */
    static float dropout(Args args) {
        double p = args.number("dropout", 0);
        if (!(p >= 0 && p < 1)) throw new UsageException("--dropout must be in [0, 1), got " + p);
        return (float) p;
    }

    /**
     * Sets every dropout site of the trained model to {@code p} (nothing when 0), masks keyed from the run's seed
     * and then call by call, so a run is reproducible. Reference and generation models are not passed here.
     */
    static void applyDropout(float p, Module model, long seed, PrintStream err) {
        if (p == 0f) return;
        if (model.modules().stream().noneMatch(m -> m instanceof Dropout)) {
            throw new UsageException("--dropout: " + model.getClass().getSimpleName() + " has no dropout sites");
        }
        Dropout.enableAll(model, p, seed);
        err.println("dropout " + p + " at every site (seed " + seed + ")");
    }

    static Path data(Args args) {
        String data = args.string("data", null);
        if (data == null) throw new UsageException("--data FILE.jsonl is required");
        return Path.of(data);
    }

    /** {@code --resume} as given, or null. */
    static String resumeFlag(Args args) {
        return args.string("resume", null);
    }

    /** The verified checkpoint folder {@code --resume given} names, or null when not given. */
    static Path resume(String given, PrintStream err) throws IOException {
        if (given == null) return null;
        try {
            Path checkpoint = Checkpoints.resumable(Path.of(given), err);
            err.println("resume: from " + checkpoint);
            return checkpoint;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * Evaluation flags: rows from {@code data}, or a {@code fraction} of --data held out; every {@code everySteps}
     * steps (0: at checkpoints and the last step), {@code batchSize} rows at a time.
     */
    record Eval(Path data, double fraction, int everySteps, int batchSize) {
        /** Training and evaluation rows: {@code rows} split by the fraction, or all of them and {@code load(data)}. */
        <T> HeldOut<T> split(List<T> rows, long seed, RowLoader<T> load) throws IOException {
            if (data != null) return new HeldOut<>(rows, load.rows(data));
            try {
                return HeldOut.split(rows, fraction, seed);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--eval-fraction: " + e.getMessage());
            }
        }
    }

    /** Loads a data file's rows (the same way as --data). */
    @FunctionalInterface
    interface RowLoader<T> {
        List<T> rows(Path file) throws IOException;
    }

    /** {@code --eval-data} / {@code --eval-fraction} and their companions, or null when evaluation is not asked for. */
    static Eval eval(Args args, int trainBatchSize) {
        boolean file = args.has("eval-data"), fraction = args.has("eval-fraction");
        int every = args.integer("eval-steps", 0);
        int batch = args.integer("eval-batch-size", trainBatchSize);
        if (file && fraction) throw new UsageException("give --eval-data or --eval-fraction, not both");
        if (!file && !fraction) {
            if (args.has("eval-steps") || args.has("eval-batch-size")) {
                throw new UsageException("--eval-steps and --eval-batch-size need --eval-data or --eval-fraction");
            }
            return null;
        }
        if (args.has("eval-steps") && every < 1) throw new UsageException("--eval-steps must be at least 1, got " + every);
        if (batch < 1) throw new UsageException("--eval-batch-size must be at least 1, got " + batch);
        double f = args.number("eval-fraction", 0);
        if (fraction && !(f > 0 && f < 1)) throw new UsageException("--eval-fraction must be in (0, 1), got " + f);
        return new Eval(file ? Path.of(args.string("eval-data", null)) : null, f, every, batch);
    }
}
