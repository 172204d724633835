package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.SegmentTestUtil.assertClose;
import static dev.lathe.core.cpu.SegmentTestUtil.doubles;
import static dev.lathe.core.cpu.SegmentTestUtil.floats;
import static dev.lathe.core.cpu.SegmentTestUtil.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * CpuDecodeAttention against a float64 reference, and against CpuAttention: decoding a sequence position by
 * position through a cache gives the full causal attention's outputs.
 */
class CpuDecodeAttentionTest {

    /** A decode problem: Tq queries at the end of len cached positions out of Tmax; mask null or [B, Tmax]. */
    private record Shape(int B, int Tq, int len, int Tmax, int H, int Hkv, int D, int[] mask) {
        float scale() {
            return (float) (1.0 / Math.sqrt(D));
        }

        boolean allowed(int b, int s) {
            return mask == null || mask[b * Tmax + s] != 0;
        }
    }

    @Test
    void matchesReferenceOnOddSizes() {
        check(new Shape(2, 1, 7, 9, 3, 3, 5, null), 1);
        check(new Shape(1, 1, 1, 1, 2, 2, 3, null), 2);        // one cached position
        check(new Shape(3, 1, 130, 131, 2, 2, 17, null), 3);   // three key tiles, vector tail
    }

    @Test
    void groupedQueryWithSeveralQueries() {
        check(new Shape(2, 3, 70, 75, 4, 2, 12, null), 4);     // H=4 over Hkv=2, Tq=3, two tiles
        check(new Shape(1, 3, 3, 8, 4, 2, 8, null), 5);        // Tq = len: a prefill
        check(new Shape(2, 1, 40, 40, 4, 1, 16, null), 6);     // multi-query (Hkv=1)
    }

    @Test
    void leftPaddingAndQueriesWithNoVisibleKey() {
        int Tmax = 8;
        int[] mask = new int[2 * Tmax];
        Arrays.fill(mask, 0, Tmax, 1);
        Arrays.fill(mask, Tmax + 4, 2 * Tmax, 1); // row 1: positions 0..3 are padding
        // len 6, Tq 3: row 1's queries sit at 3, 4, 5; the one at 3 sees only padding.
        double[] out = check(new Shape(2, 3, 6, Tmax, 4, 2, 6, mask), 7);
        int w = 4 * 6;
        double[] noKey = Arrays.copyOfRange(out, 3 * w, 4 * w); // row b=1, query 0: (b*Tq + 0) * w
        assertClose(new double[w], noKey, 0, 0, "query with no visible key");

        int[] longPad = new int[150];
        Arrays.fill(longPad, 140, 150, 1); // two whole key tiles of padding before the real keys
        check(new Shape(1, 2, 150, 150, 2, 2, 8, longPad), 8);
    }

    @Test
    void packedQueryColumns() {
        Shape c = new Shape(2, 2, 9, 12, 4, 4, 8, null);
        Random rnd = new Random(9);
        double[] q = values(c.B() * c.Tq() * c.H() * c.D(), 2, rnd);
        double[] k = values(c.B() * c.Tmax() * c.Hkv() * c.D(), 2, rnd);
        double[] v = values(c.B() * c.Tmax() * c.Hkv() * c.D(), 1, rnd);
        // q as the middle third of a [B, Tq, 3C] buffer, as GPT-2's c_attn lays it out.
        int w = c.H() * c.D();
        MemorySegment packed = floats(c.B() * c.Tq() * 3 * w);
        for (int r = 0; r < c.B() * c.Tq(); r++) {
            for (int j = 0; j < w; j++) packed.setAtIndex(ValueLayout.JAVA_FLOAT, (long) r * 3 * w + w + j, (float) q[r * w + j]);
        }
        MemorySegment out = floats(q.length);
        CpuDecodeAttention.forward(c.B(), c.Tq(), c.len(), c.Tmax(), c.H(), c.Hkv(), c.D(), c.scale(),
                new AttentionRows(packed.asSlice(4L * w), 3L * w), new AttentionRows(floats(k), w),
                new AttentionRows(floats(v), w), null, new AttentionRows(out, w));
        assertClose(reference(c, q, k, v), out, 1e-5, 1e-6, "out");
    }

    @Test
    void rejectsInconsistentLengths() {
        MemorySegment x = floats(64);
        AttentionRows r = new AttentionRows(x, 4);
        assertThrows(IllegalArgumentException.class,
                () -> CpuDecodeAttention.forward(1, 3, 2, 4, 1, 1, 4, 1f, r, r, r, null, r)); // Tq > len
        assertThrows(IllegalArgumentException.class,
                () -> CpuDecodeAttention.forward(1, 1, 5, 4, 1, 1, 4, 1f, r, r, r, null, r)); // len > Tmax
        assertThrows(IllegalArgumentException.class,
                () -> CpuDecodeAttention.forward(1, 1, 2, 4, 3, 2, 4, 1f, r, r, r, null, r)); // H % Hkv != 0
    }

    /**
     * The cache property: full causal CpuAttention over T positions, then the same sequence through a cache —
     * a prefill of P positions (Tq = P) and single-position steps — gives the same outputs at every position.
     */
    @Test
    void decodingThroughTheCacheMatchesFullCausalAttention() {
        decodeMatchesFull(2, 37, 5, 4, 2, 16, null, 21);
        int[] mask = new int[2 * 45];
        Arrays.fill(mask, 0, 45, 1);
        Arrays.fill(mask, 45 + 6, 90, 1); // row 1 left-padded by 6
        decodeMatchesFull(2, 45, 8, 3, 3, 12, mask, 22);
        decodeMatchesFull(1, 70, 1, 2, 2, 64, null, 23); // decode only, past one key tile
    }

    private static void decodeMatchesFull(int B, int T, int prefill, int H, int Hkv, int D, int[] mask, long seed) {
        Random rnd = new Random(seed);
        float scale = (float) (1.0 / Math.sqrt(D));
        int qw = H * D, kw = Hkv * D;
        double[] q = values(B * T * qw, 2, rnd), k = values(B * T * kw, 2, rnd), v = values(B * T * kw, 1, rnd);
        MemorySegment maskSeg = mask == null ? null : ints(mask);

        MemorySegment full = floats(B * T * qw);
        CpuAttention.forward(B, T, H, Hkv, D, scale, new AttentionRows(floats(q), qw), new AttentionRows(floats(k), kw),
                new AttentionRows(floats(v), kw), maskSeg, new AttentionRows(full, qw), floats(B * H * T));

        // The cache is [B, T, kw] (Tmax = T), filled one step at a time; q and out are [B, Tq, qw] per step.
        MemorySegment kCache = floats(B * T * kw), vCache = floats(B * T * kw);
        double[] decoded = new double[B * T * qw];
        for (int start = 0; start < T; ) {
            int tq = start == 0 ? prefill : 1, len = start + tq;
            double[] stepQ = new double[B * tq * qw];
            for (int b = 0; b < B; b++) {
                for (int t = start; t < len; t++) {
                    copyRow(k, (b * T + t) * kw, kCache, (b * T + t) * kw, kw);
                    copyRow(v, (b * T + t) * kw, vCache, (b * T + t) * kw, kw);
                    System.arraycopy(q, (b * T + t) * qw, stepQ, (b * tq + t - start) * qw, qw);
                }
            }
            MemorySegment out = floats(B * tq * qw);
            CpuDecodeAttention.forward(B, tq, len, T, H, Hkv, D, scale, new AttentionRows(floats(stepQ), qw),
                    new AttentionRows(kCache, kw), new AttentionRows(vCache, kw), maskSeg, new AttentionRows(out, qw));
            double[] got = doubles(out, B * tq * qw);
            for (int b = 0; b < B; b++) System.arraycopy(got, b * tq * qw, decoded, (b * T + start) * qw, tq * qw);
            start = len;
        }
        assertClose(doubles(full, B * T * qw), decoded, 0, 1e-5, "decoded vs full attention");
    }

    // ---- float64 reference ----

    /** Runs the kernel on random inputs, compares with the reference and returns the kernel's out [B,Tq,H*D]. */
    private static double[] check(Shape c, long seed) {
        Random rnd = new Random(seed);
        double[] q = values(c.B() * c.Tq() * c.H() * c.D(), 2, rnd);
        double[] k = values(c.B() * c.Tmax() * c.Hkv() * c.D(), 2, rnd);
        double[] v = values(c.B() * c.Tmax() * c.Hkv() * c.D(), 1, rnd);
        int qw = c.H() * c.D(), kw = c.Hkv() * c.D();
        MemorySegment out = floats(q.length); // NaN-filled: every element must be written
        CpuDecodeAttention.forward(c.B(), c.Tq(), c.len(), c.Tmax(), c.H(), c.Hkv(), c.D(), c.scale(),
                new AttentionRows(floats(q), qw), new AttentionRows(floats(k), kw), new AttentionRows(floats(v), kw),
                c.mask() == null ? null : ints(c.mask()), new AttentionRows(out, qw));
        double[] got = doubles(out, q.length);
        assertClose(reference(c, q, k, v), got, 1e-5, 1e-6, "out");
        return got;
    }

    /** out [B, Tq, H, D] from explicit softmax over each query's visible keys, in float64. */
    private static double[] reference(Shape c, double[] q, double[] k, double[] v) {
        int H = c.H(), Hkv = c.Hkv(), D = c.D(), group = H / Hkv;
        double[] out = new double[c.B() * c.Tq() * H * D];
        for (int b = 0; b < c.B(); b++) {
            for (int i = 0; i < c.Tq(); i++) {
                int pos = c.len() - c.Tq() + i;
                for (int h = 0; h < H; h++) {
                    int kvh = h / group, qo = ((b * c.Tq() + i) * H + h) * D;
                    double[] score = new double[pos + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= pos; s++) {
                        int ko = ((b * c.Tmax() + s) * Hkv + kvh) * D;
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
                        score[s] = c.allowed(b, s) ? c.scale() * dot : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, score[s]);
                    }
                    if (max == Double.NEGATIVE_INFINITY) continue; // no visible key: out stays 0
                    double sum = 0;
                    for (int s = 0; s <= pos; s++) sum += Math.exp(score[s] - max);
                    for (int s = 0; s <= pos; s++) {
                        double p = Math.exp(score[s] - max) / sum;
                        int vo = ((b * c.Tmax() + s) * Hkv + kvh) * D;
                        for (int d = 0; d < D; d++) out[qo + d] += p * v[vo + d];
                    }
                }
            }
        }
        return out;
    }

    /** Float-representable values in [-range, range), so kernel and reference see the same inputs. */
    private static double[] values(int n, double range, Random rnd) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * range);
        return x;
    }

    private static void copyRow(double[] src, int from, MemorySegment dst, long to, int n) {
        for (int j = 0; j < n; j++) dst.setAtIndex(ValueLayout.JAVA_FLOAT, to + j, (float) src[from + j]);
    }

    @Test
    void referenceSeesOnlyVisibleKeys() {
        // Sanity of the reference itself on a hand-made case: D=1, one head, keys 0 and 1 visible with equal
        // scores, so out is the mean of their values.
        Shape c = new Shape(1, 1, 2, 3, 1, 1, 1, null);
        double[] out = reference(c, new double[] {1}, new double[] {0, 0, 5}, new double[] {2, 4, 100});
        assertEquals(3.0, out[0], 1e-12);
    }
}
