package dev.lathe.train.cli;

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

    static Gpt2Model gpt2(Path dir) {
        try {
            return Gpt2Model.load(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("cannot load the model from " + dir + ": " + e.getMessage(), e);
        }
    }
}
