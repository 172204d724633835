package dev.lathe.core.ops;

import static dev.lathe.core.ops.ElementwiseOps.be;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.DropoutMask;

/**
 * Inverted dropout as a differentiable op: each element is zeroed with probability p and the rest scaled by
 * 1 / (1 − p). The mask is a function of ({@code seed}, element index) ({@link DropoutMask}), so the backward
 * regenerates it from the seed and only the seed is kept. p = 0 returns x itself.
 */
public final class DropoutOps {
    private DropoutOps() {}

    /** x of any shape → same shape; {@code seed} keys this call's mask (use a fresh one per call). */
    public static Tensor dropout(Tensor x, float p, long seed) {
        DropoutMask.check(p);
        if (p == 0f) return x;
        Tensor out = Tensor.empty(x.device(), x.dtype(), x.shape());
        be(x).dropout(x.contiguous(), p, seed, out);
        return Node.record(out, "dropout", (g, needs) -> {
            Tensor dx = Tensor.empty(g.device(), g.dtype(), g.shape());
            be(g).dropout(g.contiguous(), p, seed, dx); // same mask: d(x·m/(1-p))/dx = m/(1-p)
            return new Tensor[] {dx};
        }, x);
    }
}
