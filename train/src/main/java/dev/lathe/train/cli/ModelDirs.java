package dev.lathe.train.cli;

import dev.lathe.models.CausalLm;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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

    static Gpt2Model gpt2(Path dir) {
        try {
            return Gpt2Model.load(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the model from " + dir + ": " + e.getMessage(), e);
        }
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
