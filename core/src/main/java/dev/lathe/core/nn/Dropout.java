package dev.lathe.core.nn;

import dev.lathe.core.Tensor;
import dev.lathe.core.backend.DropoutMask;
import dev.lathe.core.ops.DropoutOps;

/**
 * torch.nn.Dropout: inverted dropout with probability p in training mode, the identity in evaluation mode. p is 0
 * (off) until {@link #enableAll} sets it. A site that drops inside a fused kernel (attention probabilities) asks
 * {@link #activeProbability} and {@link #nextKey} instead of calling {@link #forward}.
 */
public final class Dropout extends Module {
    private float p;
    private DropoutKeys keys;

    /** x of any shape → same shape. */
    public Tensor forward(Tensor x) {
        float active = activeProbability();
        return active == 0f ? x : DropoutOps.dropout(x, active, keys.next());
    }

    /** p in training mode, 0 in evaluation mode. */
    public float activeProbability() {
        return isTraining() ? p : 0f;
    }

    /** A fresh mask key for one call; only when {@link #activeProbability} is positive. */
    public long nextKey() {
        if (keys == null) throw new IllegalStateException("dropout is not enabled");
        return keys.next();
    }

    /** Sets every Dropout in {@code root} (itself included) to probability p, drawing keys from one source seeded by {@code seed}. */
    public static void enableAll(Module root, float p, long seed) {
        DropoutMask.check(p);
        DropoutKeys keys = new DropoutKeys(seed);
        for (Module m : root.modules()) {
            if (m instanceof Dropout d) {
                d.p = p;
                d.keys = keys;
            }
        }
    }
}
