package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;

/**
 * A module holding one {@code weight} [rows, C] that its owner reads directly rather than through a forward:
 * {@code embed_tokens} [V, C], {@code lm_head} [V, C], {@code score} [labels, C]. N(0, 0.02²) when new. Not a
 * LoRA target and never re-stored as BF16, so the owner's reference to the tensor stays valid.
 */
final class WeightTable extends Module {
    final Tensor weight;

    WeightTable(int rows, int dim, LlamaInit init) {
        this.weight = parameter("weight", () -> init.normal(rows, dim));
    }
}
