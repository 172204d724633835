package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.CpuVec.F;
import static dev.lathe.core.cpu.CpuVec.FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Rotary position embedding in Hugging Face's rotate-half convention: each head's D = 2·half columns are two
 * halves (x1 | x2) rotated pairwise (x1[i], x2[i]) by the row's angle i.
 *
 * <pre>
 * x, out : [rows, heads·D]     cos, sin : [rows, half]
 * out1 = x1·cos − x2·sin,   out2 = x2·cos + x1·sin
 * </pre>
 *
 * The rotation is orthogonal, so its backward is the same kernel with sin negated ({@code sign} −1).
 */
public final class CpuRotary {
    private CpuRotary() {}

    public static void apply(int rows, int width, int half, float sign, MemorySegment x, MemorySegment cos,
                             MemorySegment sin, MemorySegment out) {
        int heads = width / (2 * half);
        CpuParallel.forRange(rows, CpuVec.rowGrain(width), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                long row = (long) r * width, angles = (long) r * half;
                for (int h = 0; h < heads; h++) {
                    long base = row + (long) h * 2 * half;
                    for (int i = 0; i < half; i++) {
                        float c = cos.get(FLOAT, (angles + i) * F), s = sign * sin.get(FLOAT, (angles + i) * F);
                        long i1 = (base + i) * F, i2 = (base + half + i) * F;
                        float x1 = x.get(FLOAT, i1), x2 = x.get(FLOAT, i2);
                        out.set(FLOAT, i1, x1 * c - x2 * s);
                        out.set(FLOAT, i2, x2 * c + x1 * s);
                    }
                }
            }
        });
    }
}
