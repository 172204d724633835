package dev.lathe.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.backend.DropoutMask;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * CpuAttention's document masking and probability dropout against an unfused float64 composition with the same
 * mask (scores → causal/padding/document mask → softmax → P·z → P·z·V, and its hand-derived backward), and
 * packed documents against each document run through the kernel on its own.
 */
class CpuAttentionMaskingTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** Sizes, padding mask (or null), documents (or null), dropout p and its key. */
    private record Case(int B, int T, int H, int Hkv, int D, int[] mask, int[] docs, float p, long seed) {
        double scale() {
            return 1.0 / Math.sqrt(D);
        }

        AttentionMasking masking() {
            return new AttentionMasking(docs == null ? null : ARENA.allocateFrom(ValueLayout.JAVA_INT, docs), p, seed);
        }

        /** Key s visible to query t of row b: causal, not padding, same document run. */
        boolean visible(int b, int t, int s) {
            if (s > t || (mask != null && mask[b * T + s] == 0)) return false;
            if (docs == null) return true;
            for (int u = s + 1; u <= t; u++) if (docs[b * T + u] != docs[b * T + u - 1]) return false;
            return true;
        }

        double z(int b, int h, int t, int s) {
            if (p == 0f) return 1;
            long index = (((long) b * H + h) * T + t) * T + s;
            return DropoutMask.keep(seed, index, DropoutMask.threshold(p)) ? 1.0 / (1.0 - p) : 0;
        }
    }

    /** q [B,T,H,D], k and v [B,T,Hkv,D], dout [B,T,H,D]. */
    private record Inputs(double[] q, double[] k, double[] v, double[] g) {}

    /** Kernel or reference results: out [B,T,H,D], lse [B,H,T], dq, dk, dv. */
    private record Result(double[] out, double[] lse, double[] dq, double[] dk, double[] dv) {}

    @Test
    void dropoutMatchesTheUnfusedReference() {
        check(new Case(2, 37, 3, 1, 5, null, null, 0.2f, 77L), 1);               // two key tiles, grouped-query
        int[] leftPad = new int[2 * 9];
        for (int i = 0; i < 18; i++) leftPad[i] = i < 3 ? 0 : 1;
        check(new Case(2, 9, 2, 2, 7, leftPad, null, 0.5f, 78L), 2);             // padding rows and dropout
    }

    @Test
    void documentsMatchTheUnfusedReference() {
        int T = 41; // documents of 5, 30 and 6 tokens in row 0; 41 and then two documents in row 1
        int[] docs = new int[2 * T];
        for (int t = 0; t < T; t++) {
            docs[t] = t < 5 ? 0 : t < 35 ? 1 : 2;
            docs[T + t] = t < 19 ? 4 : 5;
        }
        check(new Case(2, T, 2, 1, 6, null, docs, 0f, 0L), 3);
        check(new Case(2, T, 2, 1, 6, null, docs, 0.3f, 9L), 4);                 // documents and dropout
        int[] padded = new int[2 * T];
        for (int i = 0; i < 2 * T; i++) padded[i] = i % T < 38 ? 1 : 0;        // right padding after the documents
        check(new Case(2, T, 2, 1, 6, padded, docs, 0f, 0L), 5);
    }

    @Test
    void documentsEqualEachDocumentAttendedAlone() {
        int[] lengths = {3, 8, 1, 13}; // one packed row of 25 tokens
        int T = 25, H = 3, D = 4;
        int[] docs = new int[T];
        for (int d = 0, t = 0; d < lengths.length; d++) for (int i = 0; i < lengths[d]; i++) docs[t++] = d;
        Case packed = new Case(1, T, H, H, D, null, docs, 0f, 0L);
        Inputs in = random(packed, new Random(6));
        Result whole = kernel(packed, in);
        int w = H * D;
        for (int d = 0, t0 = 0; d < lengths.length; t0 += lengths[d], d++) {
            int len = lengths[d];
            Case alone = new Case(1, len, H, H, D, null, null, 0f, 0L);
            Inputs part = new Inputs(rows(in.q(), t0, len, w), rows(in.k(), t0, len, w), rows(in.v(), t0, len, w),
                    rows(in.g(), t0, len, w));
            Result single = kernel(alone, part);
            assertClose(single.out(), rows(whole.out(), t0, len, w), 1e-6, "out of document " + d);
            assertClose(single.dq(), rows(whole.dq(), t0, len, w), 1e-6, "dq of document " + d);
            assertClose(single.dk(), rows(whole.dk(), t0, len, w), 1e-6, "dk of document " + d);
            assertClose(single.dv(), rows(whole.dv(), t0, len, w), 1e-6, "dv of document " + d);
        }
    }

    private static void check(Case c, long seed) {
        Inputs in = random(c, new Random(seed));
        Result want = reference(c, in), got = kernel(c, in);
        assertClose(want.out(), got.out(), 1e-5, "out");
        for (int i = 0; i < want.lse().length; i++) {
            if (want.lse()[i] == Double.NEGATIVE_INFINITY) assertEquals(Double.NEGATIVE_INFINITY, got.lse()[i], "lse " + i);
            else assertEquals(want.lse()[i], got.lse()[i], 1e-5 * (1 + Math.abs(want.lse()[i])), "lse " + i);
        }
        assertClose(want.dq(), got.dq(), 1e-4, "dq");
        assertClose(want.dk(), got.dk(), 1e-4, "dk");
        assertClose(want.dv(), got.dv(), 1e-4, "dv");
    }

    // ---- float64 reference: the full [T, T] probabilities of each (b, h) ----

    private static Result reference(Case c, Inputs in) {
        int B = c.B(), T = c.T(), H = c.H(), Hkv = c.Hkv(), D = c.D(), group = H / Hkv;
        double[] out = new double[B * T * H * D], lse = new double[B * H * T];
        double[] dq = new double[out.length], dk = new double[in.k().length], dv = new double[in.v().length];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                int kvh = h / group;
                double[][] prob = new double[T][T];
                for (int t = 0; t < T; t++) {
                    double max = Double.NEGATIVE_INFINITY;
                    double[] score = new double[T];
                    for (int s = 0; s < T; s++) {
                        score[s] = Double.NEGATIVE_INFINITY;
                        if (!c.visible(b, t, s)) continue;
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += in.q()[qi(c, b, t, h, d)] * in.k()[ki(c, b, s, kvh, d)];
                        score[s] = c.scale() * dot;
                        max = Math.max(max, score[s]);
                    }
                    lse[(b * H + h) * T + t] = Double.NEGATIVE_INFINITY;
                    if (max == Double.NEGATIVE_INFINITY) continue; // no visible key: out = 0, no gradient
                    double sum = 0;
                    for (int s = 0; s < T; s++) sum += Math.exp(score[s] - max);
                    lse[(b * H + h) * T + t] = max + Math.log(sum);
                    for (int s = 0; s < T; s++) prob[t][s] = Math.exp(score[s] - max) / sum;
                }
                for (int t = 0; t < T; t++) {
                    // out = Σ P z v; dPz = g·v; dP = z dPz; dS = P (dP − Σ P dP); dq = scale dS k, dk = scale dS q.
                    double[] dp = new double[T];
                    double rowDot = 0;
                    for (int s = 0; s < T; s++) {
                        double pz = prob[t][s] * c.z(b, h, t, s), gv = 0;
                        for (int d = 0; d < D; d++) {
                            out[qi(c, b, t, h, d)] += pz * in.v()[ki(c, b, s, kvh, d)];
                            dv[ki(c, b, s, kvh, d)] += pz * in.g()[qi(c, b, t, h, d)];
                            gv += in.g()[qi(c, b, t, h, d)] * in.v()[ki(c, b, s, kvh, d)];
                        }
                        dp[s] = c.z(b, h, t, s) * gv;
                        rowDot += prob[t][s] * dp[s];
                    }
                    for (int s = 0; s < T; s++) {
                        double ds = prob[t][s] * (dp[s] - rowDot) * c.scale();
                        for (int d = 0; d < D; d++) {
                            dq[qi(c, b, t, h, d)] += ds * in.k()[ki(c, b, s, kvh, d)];
                            dk[ki(c, b, s, kvh, d)] += ds * in.q()[qi(c, b, t, h, d)];
                        }
                    }
                }
            }
        }
        return new Result(out, lse, dq, dk, dv);
    }

    private static int qi(Case c, int b, int t, int h, int d) {
        return ((b * c.T() + t) * c.H() + h) * c.D() + d;
    }

    private static int ki(Case c, int b, int s, int kvh, int d) {
        return ((b * c.T() + s) * c.Hkv() + kvh) * c.D() + d;
    }

    // ---- the kernel ----

    private static Result kernel(Case c, Inputs in) {
        int qw = c.H() * c.D(), kw = c.Hkv() * c.D();
        AttentionRows q = rowsOf(in.q(), qw), k = rowsOf(in.k(), kw), v = rowsOf(in.v(), kw), g = rowsOf(in.g(), qw);
        AttentionRows out = rowsOf(new double[in.q().length], qw);
        MemorySegment lse = ARENA.allocate(ValueLayout.JAVA_FLOAT, (long) c.B() * c.H() * c.T());
        MemorySegment mask = c.mask() == null ? null : ARENA.allocateFrom(ValueLayout.JAVA_INT, c.mask());
        AttentionMasking masking = c.masking();
        float scale = (float) c.scale();
        CpuAttention.forward(c.B(), c.T(), c.H(), c.Hkv(), c.D(), scale, q, k, v, mask, masking, out, lse);
        AttentionRows dq = rowsOf(new double[in.q().length], qw);
        AttentionRows dk = rowsOf(new double[in.k().length], kw), dv = rowsOf(new double[in.v().length], kw);
        CpuAttention.backward(c.B(), c.T(), c.H(), c.Hkv(), c.D(), scale, q, k, v, mask, masking, out, lse, g,
                dq, dk, dv);
        double[] lseValues = new double[(int) (lse.byteSize() / 4)];
        for (int i = 0; i < lseValues.length; i++) lseValues[i] = lse.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return new Result(values(out), lseValues, values(dq), values(dk), values(dv));
    }

    private static AttentionRows rowsOf(double[] x, int width) {
        MemorySegment seg = ARENA.allocate(ValueLayout.JAVA_FLOAT, x.length);
        for (int i = 0; i < x.length; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) x[i]);
        return new AttentionRows(seg, width);
    }

    private static double[] values(AttentionRows r) {
        double[] x = new double[(int) (r.seg().byteSize() / 4)];
        for (int i = 0; i < x.length; i++) x[i] = r.seg().getAtIndex(ValueLayout.JAVA_FLOAT, i);
        return x;
    }

    // ---- data ----

    /** Float-representable values, so the kernel and the reference see the same inputs. */
    private static Inputs random(Case c, Random rnd) {
        int rows = c.B() * c.T();
        return new Inputs(uniform(rows * c.H() * c.D(), 2, rnd), uniform(rows * c.Hkv() * c.D(), 2, rnd),
                uniform(rows * c.Hkv() * c.D(), 1, rnd), uniform(rows * c.H() * c.D(), 1, rnd));
    }

    private static double[] uniform(int n, double range, Random rnd) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * range);
        return x;
    }

    /** Rows t0 .. t0+len-1 of a [T, width] array (batch 1). */
    private static double[] rows(double[] x, int t0, int len, int width) {
        double[] out = new double[len * width];
        System.arraycopy(x, t0 * width, out, 0, len * width);
        return out;
    }

    /** |got − want| <= tol · (|want| + 0.1). */
    private static void assertClose(double[] want, double[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(got[i] - want[i]) <= tol * (Math.abs(want[i]) + 0.1),
                    what + "[" + i + "]: want " + want[i] + ", got " + got[i]);
        }
    }
}
