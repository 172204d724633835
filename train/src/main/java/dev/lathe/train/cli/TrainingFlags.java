package dev.lathe.train.cli;

import dev.lathe.core.backend.Backends;
import dev.lathe.core.nn.Dropout;
import dev.lathe.core.nn.Module;
import dev.lathe.train.trainer.NanPolicy;
import dev.lathe.train.trainer.TrainingConfig;
import java.io.PrintStream;
import java.nio.file.Path;

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
              --dropout 0               dropout probability at every site (GPT-2: embd, attn, resid); the
                                        checkpoint's *_pdrop values are ignored: off unless given
              --nan-policy stop         a NaN/Inf loss or gradient: stop naming step and tensor, or skip the step
              --device auto|cpu
              --config run.json         flag values as JSON (keys kebab- or snake_case); flags given here win""";

    private TrainingFlags() {}

    static TrainingConfig read(Args args) {
        String out = args.string("out", null);
        if (out == null) throw new UsageException("--out DIR is required");
        try {
            Backends.select(args.string("device", "auto"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
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
        Dropout.enableAll(model, p, seed);
        err.println("dropout " + p + " at every site (seed " + seed + ")");
    }

    static Path data(Args args) {
        String data = args.string("data", null);
        if (data == null) throw new UsageException("--data FILE.jsonl is required");
        return Path.of(data);
    }
}
