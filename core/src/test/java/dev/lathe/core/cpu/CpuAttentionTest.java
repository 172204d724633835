package dev.lathe.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * CpuAttention against a float64 reference that builds the full [T, T] score matrix: forward outputs and lse,
 * and backward gradients against central finite differences of L = sum(out * G).
 */
class CpuAttentionTest {
    private static final Arena ARENA = Arena.ofAuto(); // pool threads read it, so not confined

    /** Sizes, whether q/k/v (and dq/dk/dv) are slices of one packed [B, T, (H+2Hkv)*D] buffer, and the mask. */
    private record Shape(int B, int T, int H, int Hkv, int D, boolean packed, int[] mask) {
        float scale() {
            return (float) (1.0 / Math.sqrt(D));
        }

        boolean allowed(int b, int s) {
            return mask == null || mask[b * T + s] != 0;
        }
    }

    /** Dense logical tensors: q [B,T,H,D], k and v [B,T,Hkv,D]. */
    private record Qkv(double[] q, double[] k, double[] v) {}

    /** The kernel's views of q, k, v (or dq, dk, dv): slices of one packed buffer, or three buffers. */
    private record Views(AttentionRows q, AttentionRows k, AttentionRows v) {
        static Views allocate(Shape c) {
            int qw = c.H() * c.D(), kw = c.Hkv() * c.D();
            long rows = (long) c.B() * c.T();
            if (c.packed()) {
                int w = qw + 2 * kw;
                MemorySegment seg = floats(rows * w);
                return new Views(new AttentionRows(seg, w), new AttentionRows(seg.asSlice(4L * qw), w),
                        new AttentionRows(seg.asSlice(4L * (qw + kw)), w));
            }
            return new Views(new AttentionRows(floats(rows * qw), qw), new AttentionRows(floats(rows * kw), kw),
                    new AttentionRows(floats(rows * kw), kw));
        }
    }

    // ---- tests: forward ----

    @Test
    void forwardMatchesReferenceOnOddSizes() {
        checkForward(new Shape(2, 7, 3, 3, 5, false, null), 1);
        checkForward(new Shape(1, 33, 2, 1, 12, false, null), 2); // two key tiles, grouped-query
        checkForward(new Shape(2, 1, 2, 2, 4, false, null), 3);   // T = 1
        checkForward(new Shape(1, 70, 2, 2, 16, false, null), 4); // several tiles and row blocks, no tail
    }

    @Test
    void forwardOnPackedQkv() {
        checkForward(new Shape(2, 9, 4, 4, 16, true, null), 5);  // GPT-2 layout: rowStride 3C
        checkForward(new Shape(1, 10, 4, 2, 9, true, null), 6);  // grouped-query, packed
    }

    @Test
    void forwardWithLeftPadding() {
        int[] mask = {0, 0, 0, 1, 1, 1, /* batch 1 */ 1, 1, 1, 1, 1, 1};
        float[] lse = checkForward(new Shape(2, 6, 2, 1, 5, false, mask), 7);
        // Batch 0, queries 0..2 see only padding keys: lse = -inf (and out = 0, checked against the reference).
        for (int h = 0; h < 2; h++) {
            for (int t = 0; t < 3; t++) assertEquals(Float.NEGATIVE_INFINITY, lse[h * 6 + t]);
        }
        int[] longPad = new int[40];
        Arrays.fill(longPad, 33, 40, 1); // the whole first key tile is padding
        checkForward(new Shape(1, 40, 2, 2, 8, true, longPad), 8);
    }

    // ---- tests: backward ----

    @Test
    void backwardMatchesFiniteDifferences() {
        checkBackward(new Shape(2, 5, 2, 2, 5, true, null), 11);
        checkBackward(new Shape(1, 6, 4, 2, 12, false, new int[] {0, 0, 1, 1, 1, 1}), 12);
        checkBackward(new Shape(1, 35, 2, 1, 3, true, null), 13); // two key tiles
        checkBackward(new Shape(2, 1, 1, 1, 8, false, null), 14); // T = 1
        checkBackward(new Shape(1, 40, 2, 2, 24, true, null), 15); // two key tiles, D = two vectors + one (AVX2)
        checkBackward(new Shape(2, 9, 2, 1, 16, false, new int[] {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}), 16);
    }

    /** Runs the kernel forward, compares out and lse with the reference, and returns the kernel's lse. */
    private static float[] checkForward(Shape c, long seed) {
        Qkv in = random(c, new Random(seed));
        Views qkv = Views.allocate(c);
        write(c, qkv, in);
        AttentionRows out = new AttentionRows(floats((long) c.B() * c.T() * c.H() * c.D()), (long) c.H() * c.D());
        MemorySegment lse = floats((long) c.B() * c.H() * c.T());
        CpuAttention.forward(c.B(), c.T(), c.H(), c.Hkv(), c.D(), c.scale(), qkv.q(), qkv.k(), qkv.v(),
                maskSegment(c), out, lse);

        double[][] ref = referenceForward(c, in);
        assertClose(ref[0], read(c, out, c.H()), 1e-5, "out");
        float[] got = lse.toArray(ValueLayout.JAVA_FLOAT);
        for (int i = 0; i < got.length; i++) {
            if (ref[1][i] == Double.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, got[i], "lse " + i);
            else assertEquals(ref[1][i], got[i], 1e-5 * (1 + Math.abs(ref[1][i])), "lse " + i);
        }
        return got;
    }

    /** Kernel dq, dk, dv (into buffers prefilled with garbage, to check overwrite) against finite differences. */
    private static void checkBackward(Shape c, long seed) {
        Random rnd = new Random(seed);
        Qkv in = random(c, rnd);
        double[] g = new double[c.B() * c.T() * c.H() * c.D()];
        for (int i = 0; i < g.length; i++) g[i] = (float) (rnd.nextDouble() * 2 - 1);

        Views qkv = Views.allocate(c);
        write(c, qkv, in);
        long width = (long) c.H() * c.D();
        AttentionRows out = new AttentionRows(floats(g.length), width);
        AttentionRows dout = new AttentionRows(floats(g.length), width);
        writeRows(c, dout, c.H(), g);
        MemorySegment lse = floats((long) c.B() * c.H() * c.T());
        MemorySegment mask = maskSegment(c);
        CpuAttention.forward(c.B(), c.T(), c.H(), c.Hkv(), c.D(), c.scale(), qkv.q(), qkv.k(), qkv.v(), mask, out, lse);

        Views grads = Views.allocate(c);
        for (AttentionRows r : new AttentionRows[] {grads.q(), grads.k(), grads.v()}) r.seg().fill((byte) 0x40);
        CpuAttention.backward(c.B(), c.T(), c.H(), c.Hkv(), c.D(), c.scale(), qkv.q(), qkv.k(), qkv.v(), mask,
                out, lse, dout, grads.q(), grads.k(), grads.v());

        assertClose(finiteDifference(c, in, in.q(), g), read(c, grads.q(), c.H()), 1e-3, "dq");
        assertClose(finiteDifference(c, in, in.k(), g), read(c, grads.k(), c.Hkv()), 1e-3, "dk");
        assertClose(finiteDifference(c, in, in.v(), g), read(c, grads.v(), c.Hkv()), 1e-3, "dv");
    }

    // ---- float64 reference ----

    /** {out [B,T,H,D], lse [B,H,T]} from the full score matrix of each (b, h). */
    private static double[][] referenceForward(Shape c, Qkv in) {
        int B = c.B(), T = c.T(), H = c.H(), Hkv = c.Hkv(), D = c.D(), group = H / Hkv;
        double[] out = new double[B * T * H * D], lse = new double[B * H * T];
        double[][] scores = new double[T][T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                int kvh = h / group;
                for (int t = 0; t < T; t++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int d = 0; d < D; d++) {
                            dot += in.q()[((b * T + t) * H + h) * D + d] * in.k()[((b * T + s) * Hkv + kvh) * D + d];
                        }
                        scores[t][s] = c.allowed(b, s) ? c.scale() * dot : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, scores[t][s]);
                    }
                    lse[(b * H + h) * T + t] = Double.NEGATIVE_INFINITY;
                    if (max == Double.NEGATIVE_INFINITY) continue; // no allowed key: out stays 0
                    double sum = 0;
                    for (int s = 0; s <= t; s++) sum += Math.exp(scores[t][s] - max);
                    lse[(b * H + h) * T + t] = max + Math.log(sum);
                    for (int s = 0; s <= t; s++) {
                        double p = Math.exp(scores[t][s] - max) / sum;
                        for (int d = 0; d < D; d++) {
                            out[((b * T + t) * H + h) * D + d] += p * in.v()[((b * T + s) * Hkv + kvh) * D + d];
                        }
                    }
                }
            }
        }
        return new double[][] {out, lse};
    }

    /** dL/dx for L = sum(out * g) by central differences, x one of in's arrays (perturbed in place, restored). */
    private static double[] finiteDifference(Shape c, Qkv in, double[] x, double[] g) {
        double eps = 1e-3;
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + eps;
            double plus = loss(c, in, g);
            x[i] = saved - eps;
            double minus = loss(c, in, g);
            x[i] = saved;
            grad[i] = (plus - minus) / (2 * eps);
        }
        return grad;
    }

    private static double loss(Shape c, Qkv in, double[] g) {
        double[] out = referenceForward(c, in)[0];
        double sum = 0;
        for (int i = 0; i < out.length; i++) sum += out[i] * g[i];
        return sum;
    }

    // ---- data movement ----

    /** Float-representable values so the kernel and the reference see the same inputs. */
    private static Qkv random(Shape c, Random rnd) {
        int rows = c.B() * c.T();
        return new Qkv(values(rows * c.H() * c.D(), 2.0, rnd), values(rows * c.Hkv() * c.D(), 2.0, rnd),
                values(rows * c.Hkv() * c.D(), 1.0, rnd));
    }

    private static double[] values(int n, double range, Random rnd) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * range);
        return x;
    }

    private static void write(Shape c, Views views, Qkv in) {
        writeRows(c, views.q(), c.H(), in.q());
        writeRows(c, views.k(), c.Hkv(), in.k());
        writeRows(c, views.v(), c.Hkv(), in.v());
    }

    /** Dense [B*T, heads*D] values into a strided row view. */
    private static void writeRows(Shape c, AttentionRows rows, int heads, double[] x) {
        int w = heads * c.D();
        for (int r = 0; r < c.B() * c.T(); r++) {
            for (int j = 0; j < w; j++) {
                rows.seg().setAtIndex(ValueLayout.JAVA_FLOAT, r * rows.rowStride() + j, (float) x[r * w + j]);
            }
        }
    }

    private static double[] read(Shape c, AttentionRows rows, int heads) {
        int w = heads * c.D();
        double[] x = new double[c.B() * c.T() * w];
        for (int r = 0; r < c.B() * c.T(); r++) {
            for (int j = 0; j < w; j++) {
                x[r * w + j] = rows.seg().getAtIndex(ValueLayout.JAVA_FLOAT, r * rows.rowStride() + j);
            }
        }
        return x;
    }

    private static MemorySegment maskSegment(Shape c) {
        return c.mask() == null ? null : ARENA.allocateFrom(ValueLayout.JAVA_INT, c.mask());
    }

    private static MemorySegment floats(long n) {
        return ARENA.allocate(ValueLayout.JAVA_FLOAT, n);
    }

    /** |got - want| <= tol * (|want| + 0.1): relative, with a floor for values near zero. */
    private static void assertClose(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            assertTrue(err <= tol * (Math.abs(want[i]) + 0.1),
                    what + "[" + i + "]: want " + want[i] + ", got " + got[i]);
        }
    }
}
