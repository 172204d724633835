package dev.lathe.core.backend;

/**
 * The dropout mask every backend draws, defined as a pure function of (seed, element index) so it needs no state:
 * element i of a call with key {@code seed} is kept when the top 32 bits of SplitMix64's output
 * mix(seed + (i + 1) · γ) are at least p · 2³². Any thread order, thread count or device gives the same mask, and
 * a backward pass regenerates it from the seed instead of storing it. Kept elements are scaled by 1 / (1 − p)
 * (inverted dropout), so the expected value is unchanged.
 */
public final class DropoutMask {
    /** SplitMix64's increment, the golden ratio in 64 bits. */
    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    private DropoutMask() {}

    /** The threshold on 32 uniform bits below which an element is dropped: round(p · 2³²). */
    public static long threshold(float p) {
        check(p);
        return Math.round(p * 4294967296.0);
    }

    /** Whether element {@code index} of the call keyed {@code seed} is kept, for a {@link #threshold}. */
    public static boolean keep(long seed, long index, long threshold) {
        return (mix(seed + (index + 1) * GAMMA) >>> 32) >= threshold;
    }

    /** The factor a kept element is multiplied by: 1 / (1 − p). */
    public static float keptScale(float p) {
        check(p);
        return (float) (1.0 / (1.0 - p));
    }

    /** A fresh call key from a run seed and a call counter (the same SplitMix64 step, re-mixed). */
    public static long key(long seed, long call) {
        return mix(mix(seed + (call + 1) * GAMMA) ^ 0xD1B54A32D192ED03L);
    }

    /** SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** p must be in [0, 1). */
    public static void check(float p) {
        if (!(p >= 0f && p < 1f)) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
    }
}
