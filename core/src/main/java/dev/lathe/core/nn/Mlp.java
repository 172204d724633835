package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ActivationOps;
import java.util.Random;

/** GPT-2's feed-forward block: Linear(C, 4C) → GELU (tanh) → Linear(4C, C). */
public final class Mlp extends Module {
    private final Linear fc;
    private final Linear proj;

    public Mlp(int dim, int hidden, Random rng) {
        this.fc = child("c_fc", new Linear(dim, hidden, true, rng));
        this.proj = child("c_proj", new Linear(hidden, dim, true, rng));
    }

    public Tensor forward(Tensor x) {
        return proj.forward(ActivationOps.gelu(fc.forward(x)));
    }
}
