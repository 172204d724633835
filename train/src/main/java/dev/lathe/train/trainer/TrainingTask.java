package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a trainer (SFT, reward model, DPO, PPO, …) gives the shared {@link Trainer} loop: its examples, its
 * parameters, how one micro-batch's loss and gradients are computed, and how the model is saved. The loop owns
 * the optimizer, schedule, accumulation, clipping, logging and checkpoints.
 *
 * <p>Losses are normalised over the whole optimizer step, not per micro-batch: before a step the loop sums
 * {@link #normaliserShare} over every example of the step (SFT: completion tokens; pair-wise losses: 1 per
 * row), and each {@link #accumulate} call divides its summed loss by that total. So micro-batches of any size
 * that make up the same step give the same loss and gradient as one big batch.
 */
public interface TrainingTask {
    /** Number of examples. */
    int size();

    /** Every trainable parameter under its checkpoint name. */
    Map<String, Tensor> namedParameters();

    /** Example {@code i}'s part of the step's loss normaliser; 1 by default, so the step's loss is a mean over rows. */
    default double normaliserShare(int example) {
        return 1;
    }

    /**
     * Forward and backward of one micro-batch: adds the gradient of (its summed loss / {@code normaliser}) to the
     * parameters' gradients, adds its metrics to {@code metrics}, and returns its loss part and the real
     * tokens it processed. Runs inside a scope the loop opens and closes around it.
     */
    MicroStep accumulate(int[] examples, double normaliser, StepMetrics metrics);

    /**
     * The same loss part and metrics as {@link #accumulate} without touching gradients (evaluation). Runs with
     * autograd off, inside a scope the caller opens and closes around it. Tasks without an evaluation say so.
     */
    /**
     * Switches the trained model between training and evaluation mode (dropout on or off), PyTorch's
     * {@code model.train(on)}, and returns the mode it was in. Tasks whose model has no dropout need not override.
     */
    default boolean train(boolean on) {
        return on;
    }

    default double evaluate(int[] examples, double normaliser, StepMetrics metrics) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no evaluation");
    }

    /** Writes the model (and its tokenizer) as a Hugging Face folder {@code dir}, which does not exist yet. */
    void save(Path dir) throws IOException;

    /** The entries of {@code named} that require grad: all of a fully trained model, the adapters of a LoRA run. */
    static Map<String, Tensor> trainable(Map<String, Tensor> named) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        named.forEach((name, p) -> {
            if (p.requiresGrad()) out.put(name, p);
        });
        return out;
    }

    /** One micro-batch's share of the step's loss, and the real tokens it ran through the model. */
    record MicroStep(double loss, long tokens) {}
}
