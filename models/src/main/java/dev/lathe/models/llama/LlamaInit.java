package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * How new parameters start: Hugging Face's init (weights N(0, initializer_range²), biases 0, norms 1) for a new
 * model, or zeros when a checkpoint overwrites them at once.
 */
record LlamaInit(Random rng, float std) {
    static LlamaInit random(Random rng) {
        return new LlamaInit(rng, 0.02f);
    }

    static LlamaInit forLoading() {
        return new LlamaInit(null, 0f);
    }

    Tensor normal(int... shape) {
        return rng == null ? Tensor.zeros(shape) : Tensor.randn(rng, std, shape);
    }

    Tensor ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return Tensor.of(v, n);
    }
}
