package dev.lathe.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import dev.lathe.core.cpu.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-row pieces of the fused classifier, on one row of a logits chunk {@code x[V]} (float32, starting at
 * byte offset {@code row} of the chunk): Σ p·logit and the in-place logits → dlogits rewrite (max and
 * log-sum-exp come from {@link dev.lathe.core.cpu.CpuRowStats}).
 *
 * <p>Sums run in float vector lanes for {@link #BLOCK} elements, then carry into a double, so a 50257-wide row
 * keeps ~1e-7 relative accuracy (the fixtures' tolerance asks for the log-sum-exp "accumulated carefully").
 */
final class LogitRows {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final long F = Float.BYTES;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Float lanes sum at most BLOCK / L elements each before the carry into float64. */
    private static final int BLOCK = 1024;

    private LogitRows() {}

    /** Σ_v p[v]·x[v] with p = exp(x − lse): the expected logit, so entropy = lse − this. */
    static double expectedLogit(MemorySegment x, long row, int V, double lse) {
        FloatVector lv = FloatVector.broadcast(S, (float) lse);
        double sum = 0;
        int bound = S.loopBound(V);
        for (int v0 = 0; v0 < bound; v0 += BLOCK) {
            int end = Math.min(bound, v0 + BLOCK);
            FloatVector a = FloatVector.zero(S);
            for (int v = v0; v < end; v += L) {
                FloatVector xv = FloatVector.fromMemorySegment(S, x, row + v * F, ORDER);
                a = VectorMath.exp(xv.sub(lv)).fma(xv, a);
            }
            sum += VectorMath.sum(a);
        }
        for (int v = bound; v < V; v++) {
            float xv = x.get(FLOAT, row + v * F);
            sum += Math.exp(xv - lse) * xv;
        }
        return sum;
    }

    /**
     * Rewrites the logits row into d(objective)/dlogits, where the objective's gradients with respect to the
     * row's log p(target) and entropy are {@code dlogp} and {@code dent}:
     * <pre>
     * p[v]       = exp(x[v] − lse)
     * dlogits[v] = dlogp·([v == target] − p[v]) + dent·p[v]·(expected − x[v])
     * </pre>
     * (d entropy / dx[v] = p[v]·(Σ p·x − x[v]), from entropy = lse − Σ p·x.)
     */
    static void toGradient(MemorySegment x, long row, int V, int target, double lse, float dlogp, float dent,
                           double expected) {
        FloatVector lv = FloatVector.broadcast(S, (float) lse);
        FloatVector negDlogp = FloatVector.broadcast(S, -dlogp);
        int bound = S.loopBound(V);
        if (dent == 0f) {
            for (int v = 0; v < bound; v += L) {
                long o = row + v * F;
                VectorMath.exp(FloatVector.fromMemorySegment(S, x, o, ORDER).sub(lv)).mul(negDlogp)
                        .intoMemorySegment(x, o, ORDER);
            }
        } else {
            // p·(dent·(expected − x) − dlogp) = p·(c − dent·x) with c = dent·expected − dlogp.
            FloatVector c = FloatVector.broadcast(S, (float) (dent * expected - dlogp));
            FloatVector negDent = FloatVector.broadcast(S, -dent);
            for (int v = 0; v < bound; v += L) {
                long o = row + v * F;
                FloatVector xv = FloatVector.fromMemorySegment(S, x, o, ORDER);
                VectorMath.exp(xv.sub(lv)).mul(xv.fma(negDent, c)).intoMemorySegment(x, o, ORDER);
            }
        }
        for (int v = bound; v < V; v++) {
            long o = row + v * F;
            float xv = x.get(FLOAT, o);
            double p = Math.exp(xv - lse);
            x.set(FLOAT, o, (float) (p * (dent * (expected - xv) - dlogp)));
        }
        long o = row + target * F;
        x.set(FLOAT, o, x.get(FLOAT, o) + dlogp);
    }
}
