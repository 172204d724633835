package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.EmbeddingOps;

/** A [count, C] lookup table (GPT-2's wte and wpe). */
final class Gpt2Embedding extends Module {
    private final Tensor weight;

    Gpt2Embedding(int count, int dim, float std, Gpt2Init init) {
        this.weight = parameter("weight", () -> init.normal(std, count, dim));
    }

    /** ids I32 [..] → [.., C]; an id outside [0, count) is an IllegalArgumentException. */
    Tensor forward(Tensor ids) {
        return EmbeddingOps.embedding(ids, weight);
    }

    Tensor weight() {
        return weight;
    }
}
