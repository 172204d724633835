package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/** One AdamW step over flat float32 buffers, with the arithmetic of PyTorch's torch.optim.AdamW (single tensor). */
public final class CpuAdamW {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private CpuAdamW() {}

    /**
     * Updates param, m, v [n] in place from grad [n] at 1-based step t, g = gradScale·grad (grad is only read):
     * <pre>
     *   p *= 1 - lr·wd
     *   m  = b1·m + (1 - b1)·g
     *   v  = b2·v + (1 - b2)·g²
     *   p -= (lr / (1 - b1^t)) · m / (sqrt(v) / sqrt(1 - b2^t) + eps)
     * </pre>
     * The step constants are computed in double, as PyTorch does with Python floats.
     */
    public static void step(long n, MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v,
                            float lr, float beta1, float beta2, float eps, float weightDecay, long step,
                            float gradScale) {
        if (step < 1) throw new IllegalArgumentException("step is 1-based, got " + step);
        float decay = (float) (1 - (double) lr * weightDecay);
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float oneMinusB1 = 1 - beta1;
        float oneMinusB2 = 1 - beta2;
        CpuRanges.forElements(n, (from, to) -> {
            long i = from;
            for (long end = CpuRanges.vectorEnd(from, to, LANES); i < end; i += LANES) {
                long off = i * 4;
                FloatVector g = FloatVector.fromMemorySegment(F, grad, off, NATIVE).mul(gradScale);
                FloatVector mi = FloatVector.fromMemorySegment(F, m, off, NATIVE).mul(beta1).add(g.mul(oneMinusB1));
                FloatVector vi = FloatVector.fromMemorySegment(F, v, off, NATIVE).mul(beta2)
                        .add(g.mul(g).mul(oneMinusB2));
                FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
                FloatVector p = FloatVector.fromMemorySegment(F, param, off, NATIVE).mul(decay);
                p.sub(mi.div(denom).mul(stepSize)).intoMemorySegment(param, off, NATIVE);
                mi.intoMemorySegment(m, off, NATIVE);
                vi.intoMemorySegment(v, off, NATIVE);
            }
            for (; i < to; i++) {
                float g = grad.getAtIndex(JAVA_FLOAT, i) * gradScale;
                float mi = m.getAtIndex(JAVA_FLOAT, i) * beta1 + g * oneMinusB1;
                float vi = v.getAtIndex(JAVA_FLOAT, i) * beta2 + g * g * oneMinusB2;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                float p = param.getAtIndex(JAVA_FLOAT, i) * decay;
                param.setAtIndex(JAVA_FLOAT, i, p - mi / denom * stepSize);
                m.setAtIndex(JAVA_FLOAT, i, mi);
                v.setAtIndex(JAVA_FLOAT, i, vi);
            }
        });
    }
}
