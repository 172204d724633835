package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What an online RL trainer (PPO, GRPO) gives {@link OnlineTrainer}: its prompts, its trainable parameters, and
 * one step — a rollout on a batch of prompts and the optimizer updates it feeds. The loop owns the optimizer,
 * the learning-rate schedule, logging, checkpoints and the report.
 */
public interface OnlineTask {
    /** Number of prompts. */
    int size();

    /** Every trainable parameter under a unique name (the optimizer's groups are chosen by name). */
    Map<String, Tensor> namedParameters();

    /**
     * One rollout on the prompts at {@code prompts} and its updates; each update calls {@code update} after its
     * backward. Runs inside a scope the loop opens and closes around it.
     */
    StepResult step(int[] prompts, long step, Update update);

    /** Writes the trained model(s) as Hugging Face folders under {@code dir}, which does not exist yet. */
    void save(Path dir) throws IOException;

    /**
     * Overwrites every trained parameter with its value in {@code dir}, a folder {@link #save} wrote (resume).
     * By default the parameters are one model's, in {@code dir} itself under the names {@link #namedParameters} gives.
     */
    default void load(Path dir) throws IOException {
        Checkpoints.loadWeights(dir, namedParameters());
    }

    /** One optimizer update of the accumulated gradients: clip, AdamW step, zero the gradients. */
    @FunctionalInterface
    interface Update {
        /** Returns the global gradient norm before clipping. */
        double apply();
    }

    /**
     * A step's loss (mean over its updates), grad norm (mean over its updates, before clipping), the completions
     * it generated, the tokens it ran through the trained model, and its own metrics (TRL's names).
     */
    record StepResult(double loss, double gradNorm, int completions, long tokens, Map<String, Double> metrics) {}
}
