package dev.lathe.models.gpt2;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.MatmulOps;

/** GPT2ForSequenceClassification's {@code score}: a bias-free Linear(C, num_labels), weight [num_labels, C]. */
final class ScoreHead extends Module {
    private final Tensor weight;

    ScoreHead(int dim, int labels, float std, Gpt2Init init) {
        this.weight = parameter("weight", () -> init.normal(std, labels, dim));
    }

    /** x [.., C] → [.., num_labels]. */
    Tensor forward(Tensor x) {
        return MatmulOps.linear(x, weight, null);
    }
}
