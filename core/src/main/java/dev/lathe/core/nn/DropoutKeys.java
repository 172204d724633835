package dev.lathe.core.nn;

import dev.lathe.core.backend.DropoutMask;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A run's source of dropout mask keys: call n gets {@link DropoutMask#key}(seed, n). A model's dropout sites share
 * one source, so every call of a run has its own mask, and a run with the same seed and the same sequence of
 * forward passes draws the same masks.
 */
public final class DropoutKeys {
    private final long seed;
    private final AtomicLong calls = new AtomicLong();

    public DropoutKeys(long seed) {
        this.seed = seed;
    }

    /** The next call's key. */
    public long next() {
        return DropoutMask.key(seed, calls.getAndIncrement());
    }
}
