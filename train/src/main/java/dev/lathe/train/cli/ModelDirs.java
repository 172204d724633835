package dev.lathe.train.cli;

import dev.lathe.core.nn.Module;
import dev.lathe.models.CausalLm;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.RewardModel;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Loads what a model directory holds, turning bad or missing files into usage errors (exit 2). */
final class ModelDirs {
    private ModelDirs() {}

    static Path requireDir(String model) {
        if (model == null) throw new UsageException("--model DIR is required");
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir)) throw new UsageException(dir + ": not a directory");
        return dir;
    }

    static ByteLevelBpeTokenizer tokenizer(Path dir) {
        try {
            return ByteLevelBpeTokenizer.fromDirectory(dir);
        } catch (IllegalArgumentException e) {
            throw new UsageException("cannot load the tokenizer: " + e.getMessage(), e);
        }
    }

    /** A causal LM of the family config.json names (GPT-2, Llama, Qwen2, Qwen3). */
    static CausalLm causalLm(Path dir) {
        try {
            return ModelFamilies.loadCausalLm(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the model from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A *ForSequenceClassification of the folder's family (the folder must hold score.weight). */
    static RewardModel rewardModel(Path dir) {
        try {
            return ModelFamilies.loadRewardModel(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the model from " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The reward model in {@code dir}, or with no score.weight there the causal LM's body under a new one-label
     * score head drawn from {@code seed}, logged on {@code err} under {@code command}.
     */
    static RewardModel rewardModelOrNewHead(Path dir, long seed, String command, PrintStream err) {
        try {
            if (ModelFamilies.hasScoreHead(dir)) return ModelFamilies.loadRewardModel(dir);
            err.println(command + ": " + dir + " has no " + RewardModel.SCORE_WEIGHT + "; adding a new score head (seed "
                    + seed + ")");
            return ModelFamilies.rewardModelFromCausalLm(dir, 1, new Random(seed));
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the model from " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Every family is a {@link Module}: what dropout and LoRA attach to. */
    static Module module(Object model) {
        return (Module) model;
    }

    /**
     * The tokenizer's ids must all be rows of the model's embedding ({@code vocab_size} may be larger: Hugging Face
     * pads it); an id past it would index outside the weights.
     */
    static void requireVocabFits(Path dir, ByteLevelBpeTokenizer tokenizer, int modelVocab) {
        if (tokenizer.vocabSize() > modelVocab) {
            throw new UsageException(dir + ": the tokenizer has ids up to " + (tokenizer.vocabSize() - 1)
                    + " but the model's vocab_size is " + modelVocab);
        }
    }
}
