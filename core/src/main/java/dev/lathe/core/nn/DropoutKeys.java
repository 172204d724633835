package dev.lathe.core.nn;

import dev.lathe.core.backend.DropoutMask;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A run's source of dropout mask keys. A model's dropout sites share one source, so every call of a run has its
 * own mask, and a run with the same seed and the same sequence of forward passes draws the same masks.
 *
 * <p>Keys are numbered within a stream: before any {@link #startStep} call n gets {@link DropoutMask#key}(seed, n);
 * trainers call {@link #startStep}(step) at each optimizer step, after which call n of that step gets
 * key(key(seed, −step), n). A step's masks therefore depend only on the seed and the step, so a run resumed from
 * a checkpoint draws exactly the masks the uninterrupted run drew, with nothing to save.
 */
public final class DropoutKeys {
    /** Every live source, so a trainer can start a step on the model it trains without holding its modules. */
    private static final Set<DropoutKeys> LIVE = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private final long seed;
    private final AtomicLong calls = new AtomicLong();
    private volatile long stream;

    public DropoutKeys(long seed) {
        this.seed = seed;
        this.stream = seed;
        LIVE.add(this);
    }

    /** The next call's key. */
    public long next() {
        return DropoutMask.key(stream, calls.getAndIncrement());
    }

    /** Starts optimizer step {@code step} (≥ 1) of every live source: its calls are numbered from 0 again. */
    public static void startStep(long step) {
        if (step < 1) throw new IllegalArgumentException("steps are 1-based, got " + step);
        synchronized (LIVE) {
            for (DropoutKeys k : LIVE) {
                k.stream = DropoutMask.key(k.seed, -step);
                k.calls.set(0);
            }
        }
    }
}
