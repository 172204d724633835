package dev.lathe.train.trainer;

import dev.lathe.train.data.EpochSampler;
import java.nio.file.Path;

/**
 * The shared loop's settings; defaults are Hugging Face TrainingArguments' (which TRL's configs inherit) except
 * where noted.
 *
 * @param out run folder: metrics.jsonl, checkpoint-N/, final/
 * @param lr peak learning rate (5e-5)
 * @param weightDecay AdamW's decoupled weight decay (0), not applied to biases and norm weights
 * @param beta1 AdamW β1 (0.9)
 * @param beta2 AdamW β2 (0.999)
 * @param eps AdamW ε (1e-8)
 * @param scheduler linear, cosine or constant (linear)
 * @param warmupSteps linear warmup steps; when 0, {@code ceil(warmupRatio · total steps)}
 * @param warmupRatio see warmupSteps (0)
 * @param batchSize examples per micro-batch (8)
 * @param gradAccum micro-batches per optimizer step (1)
 * @param steps optimizer steps; when 0, {@code epochs} passes over the data decide
 * @param epochs passes over the data when steps is 0 (3)
 * @param maxGradNorm clip the global gradient norm to this (1.0); 0 or less: no clipping
 * @param seed shuffling (and any fresh head) seed (42)
 * @param saveSteps write checkpoint-N every this many steps (500); 0: only final/
 */
public record TrainingConfig(
        Path out, double lr, double weightDecay, double beta1, double beta2, double eps, String scheduler,
        int warmupSteps, double warmupRatio, int batchSize, int gradAccum, int steps, double epochs,
        double maxGradNorm, long seed, int saveSteps) {

    public TrainingConfig {
        if (out == null) throw new IllegalArgumentException("an output folder is required");
        if (!(lr >= 0)) throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        if (warmupSteps < 0 || !(warmupRatio >= 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("warmup steps must be >= 0 and warmup ratio in [0, 1]");
        }
        if (batchSize < 1 || gradAccum < 1) throw new IllegalArgumentException("batch size and grad accum must be >= 1");
        if (steps < 0 || (steps == 0 && !(epochs > 0))) {
            throw new IllegalArgumentException("give a positive number of steps or epochs");
        }
        if (saveSteps < 0) throw new IllegalArgumentException("save steps must be >= 0, got " + saveSteps);
    }

    /** These settings with another micro-batch size (a data-parallel run's global micro-batch). */
    public TrainingConfig withBatchSize(int rows) {
        return new TrainingConfig(out, lr, weightDecay, beta1, beta2, eps, scheduler, warmupSteps, warmupRatio, rows,
                gradAccum, steps, epochs, maxGradNorm, seed, saveSteps);
    }

    /** Optimizer steps of the run for {@code size} examples. */
    public long totalSteps(int size) {
        if (steps > 0) return steps;
        double micro = Math.ceil(epochs * EpochSampler.batchesPerEpoch(size, batchSize));
        return Math.max(1, (long) Math.ceil(micro / gradAccum));
    }

    /** Warmup steps of a run of {@code total} steps. */
    public long warmup(long total) {
        return warmupSteps > 0 ? warmupSteps : (long) Math.ceil(warmupRatio * total);
    }
}
