package dev.lathe.train.trainer;

import java.io.IOException;
import java.nio.file.Path;

/** Writes a trained model as a Hugging Face folder: weights, config.json and the tokenizer files. */
@FunctionalInterface
public interface ModelSaver {
    void save(Path dir) throws IOException;
}
