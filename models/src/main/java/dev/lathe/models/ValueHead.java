package dev.lathe.models;

import dev.lathe.core.Tensor;
import dev.lathe.core.nn.Linear;
import java.util.Arrays;
import java.util.Random;

/**
 * PPO's value head as TRL builds it ({@code v_head.summary}: Linear(C, 1) with bias, PyTorch's default
 * initialisation): one value per position, read from the policy's final hidden states.
 */
public final class ValueHead extends dev.lathe.core.nn.Module {
    private final Linear summary;

    public ValueHead(int hidden, Random rng) {
        this.summary = child("summary", new Linear(hidden, 1, true, rng));
    }

    /** hidden [.., C] → values [..]. Differentiable. */
    public Tensor forward(Tensor hidden) {
        int[] shape = hidden.shape();
        return summary.forward(hidden).view(Arrays.copyOf(shape, shape.length - 1));
    }
}
