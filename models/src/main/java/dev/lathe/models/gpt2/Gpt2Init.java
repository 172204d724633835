package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import java.util.Random;

/**
 * How a new GPT-2 fills its weight matrices: Hugging Face's initialisation (normal with the configured
 * std), or zeros when a checkpoint is about to overwrite them (no random numbers drawn for nothing).
 * LayerNorms (1, 0) and biases (0) start the same either way.
 */
final class Gpt2Init {
    private final Random rng;

    private Gpt2Init(Random rng) {
        this.rng = rng;
    }

    static Gpt2Init random(Random rng) {
        return new Gpt2Init(rng);
    }

    static Gpt2Init forLoading() {
        return new Gpt2Init(null);
    }

    /** N(0, std²) values, or zeros when loading. */
    Tensor normal(float std, int... shape) {
        return rng == null ? Tensor.zeros(shape) : Tensor.randn(rng, std, shape);
    }
}
