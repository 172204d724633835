package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import dev.lathe.core.optim.AdamW;
import dev.lathe.train.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writing and restoring a {@code checkpoint-N} folder a run can continue from, shared by {@link Trainer} and
 * {@link OnlineTrainer}: the trained model(s), the optimizer's moments of every trained parameter by name
 * ({@link OptimizerState}), the loop's state ({@link TrainerState}) and, last, the checksums
 * ({@link CheckpointManifest}).
 */
final class ResumableCheckpoint {
    /** Overwrites the trained parameters with those saved in a checkpoint folder. */
    @FunctionalInterface
    interface WeightLoader {
        void load(Path dir) throws IOException;
    }

    private ResumableCheckpoint() {}

    /**
     * Writes {@code dir} (replacing an older folder of that name): {@code model}'s files, the moments of
     * {@code named}, {@code state} with the next step's learning rate, and the manifest.
     */
    static void save(Path dir, ModelSaver model, AdamW optimizer, Map<String, Tensor> named, TrainerState state,
                     TrainingConfig config, double nextLr) throws IOException {
        Checkpoints.save(dir, tmp -> {
            model.save(tmp);
            OptimizerState.write(tmp, optimizer, named);
            state.write(tmp, config, nextLr);
            CheckpointManifest.write(tmp);
        });
    }

    /**
     * Loads the weights, moments and state of {@code checkpoint} (verified by {@link Checkpoints#resumable}) into
     * a run of {@code examples} rows and {@code config}. A checkpoint this run cannot continue (other data or
     * batch layout, another model) is bad input: a UsageException.
     */
    static TrainerState restore(Path checkpoint, int examples, TrainingConfig config, WeightLoader weights,
                                AdamW optimizer, Map<String, Tensor> named, PrintStream err) {
        TrainerState state;
        try {
            state = TrainerState.read(checkpoint);
            String mismatch = state.mismatch(examples, config);
            if (mismatch != null) throw new UsageException("cannot resume from " + checkpoint + ": " + mismatch);
            weights.load(checkpoint);
            OptimizerState.read(checkpoint, optimizer, named, state.optimizerSteps());
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot resume from " + checkpoint + ": " + e.getMessage(), e);
        }
        err.printf("training: resumed from %s at step %d%n", checkpoint, state.globalStep());
        return state;
    }
}
