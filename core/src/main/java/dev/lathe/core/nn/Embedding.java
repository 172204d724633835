package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.EmbeddingOps;
import java.util.Random;

/** A [V, C] lookup table, initialised N(0, std²). */
public final class Embedding extends Module {
    private final Tensor weight;

    public Embedding(int count, int dim, float std, Random rng) {
        this.weight = parameter("weight", () -> Tensor.randn(rng, std, count, dim));
    }

    /** ids I32 [..] → [.., C]. */
    public Tensor forward(Tensor ids) {
        return EmbeddingOps.embedding(ids, weight);
    }

    public Tensor weight() {
        return weight;
    }
}
