package dev.lathe.core.cpu;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.lathe.core.backend.DropoutMask;
import java.lang.foreign.MemorySegment;

/**
 * Inverted dropout over a flat float32 buffer with the counter-based {@link DropoutMask}: out[i] = x[i] / (1 − p)
 * where element i is kept, else 0. The backward is the same call on the gradient with the same seed, so the mask
 * is never stored.
 */
public final class CpuDropout {
    private CpuDropout() {}

    /** out[i] = keep(seed, i) ? x[i] * 1/(1-p) : 0 for i < n; out may alias x. */
    public static void apply(long n, float p, long seed, MemorySegment x, MemorySegment out) {
        long threshold = DropoutMask.threshold(p);
        float kept = DropoutMask.keptScale(p);
        CpuRanges.forElements(n, (from, to) -> {
            for (long i = from; i < to; i++) {
                float v = DropoutMask.keep(seed, i, threshold) ? x.getAtIndex(JAVA_FLOAT, i) * kept : 0f;
                out.setAtIndex(JAVA_FLOAT, i, v);
            }
        });
    }
}
