package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.AttentionVectors.axpy4Into;
import static dev.lathe.core.cpu.AttentionVectors.axpy4IntoRows;
import static dev.lathe.core.cpu.AttentionVectors.axpy4Out;
import static dev.lathe.core.cpu.AttentionVectors.dot;
import static dev.lathe.core.cpu.AttentionVectors.dot4;
import static dev.lathe.core.cpu.AttentionVectors.exp4;
import static dev.lathe.core.cpu.AttentionVectors.load;
import static dev.lathe.core.cpu.AttentionVectors.scale;
import static dev.lathe.core.cpu.AttentionVectors.store;

import dev.lathe.core.backend.DropoutMask;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Causal multi-head self-attention on the CPU, FlashAttention-style: a block of ROWS query rows streams over its
 * keys in tiles with an online (max-shifted) softmax, so scratch is O(ROWS * (D + TILE)) per thread and no
 * [T, T] matrix exists. Each key and value row is loaded once per block of queries, not once per query.
 * Backward recomputes the probabilities from the saved row log-sum-exp.
 *
 * <p>{@link AttentionMasking} adds document masking (packed sequences: a query's keys start at its document's
 * first token, so whole key tiles before it are skipped) and probability dropout, whose mask backward regenerates
 * from the seed: with z = keep / (1 − p), out = Σ p·z·v and, since Δ = dout·out still equals Σ p·z·dp,
 * ds = p·(z·dp − Δ).
 */
public final class CpuAttention {
    /** Query rows per block: fixed at 4 by AttentionVectors' dot4 / axpy4 register blocking. */
    private static final int ROWS = 4;
    /** Keys scored at once before each row's running max and sum are updated. */
    private static final int TILE = 32;
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private CpuAttention() {}

    /**
     * Causal multi-head attention, grouped-query capable: H query heads, Hkv key/value heads (H % Hkv == 0; query
     * head h uses kv head h / (H/Hkv)), head dim D.
     * out[b,t,h,:] = sum_{s<=t, keyMask[b,s]!=0} softmax_s(scale * q[b,t,h,:]·k[b,s,kvh,:]) v[b,s,kvh,:].
     * keyMask: null (all real) or int32 [B,T], 0 = padding key (excluded). A query with no allowed key gets
     * out = 0 and lse = -Infinity.
     * lse: float32 [B,H,T], the row log-sum-exp of the scaled scores (saved for backward).
     */
    public static void forward(int B, int T, int H, int Hkv, int D, float scale,
                               AttentionRows q, AttentionRows k, AttentionRows v, MemorySegment keyMask,
                               AttentionRows out, MemorySegment lse) {
        forward(B, T, H, Hkv, D, scale, q, k, v, keyMask, AttentionMasking.NONE, out, lse);
    }

    /** {@link #forward} within documents and with probability dropout as {@code masking} gives. */
    public static void forward(int B, int T, int H, int Hkv, int D, float scale,
                               AttentionRows q, AttentionRows k, AttentionRows v, MemorySegment keyMask,
                               AttentionMasking masking, AttentionRows out, MemorySegment lse) {
        Dims x = new Dims(B, T, H, Hkv, D, scale, keyMask, masking);
        int blocks = (T + ROWS - 1) / ROWS;
        // One task = one (b, h, block of query rows); it writes only its own out rows and lse entries.
        // Later blocks see more keys, so the pool's many small chunks keep the cores balanced.
        CpuParallel.forRange(B * H * blocks, 1, (from, to) -> {
            float[] s = AttentionVectors.scratch(2 * ROWS * D + ROWS * TILE + 3 * ROWS);
            for (int task = from; task < to; task++) {
                int b = task / (H * blocks), h = task / blocks % H;
                forwardBlock(x, b, h, task % blocks * ROWS, q, k, v, out, lse, s);
            }
        });
    }

    /**
     * Gradients of forward. dq, dk, dv are OVERWRITTEN (not accumulated). Uses out and lse from forward;
     * recomputes probabilities tile by tile: Delta_t = dout_t·out_t, p = exp(score - lse), dv += p*dout,
     * dp = dout·v, ds = p*(dp - Delta), dq += scale*ds*k, dk += scale*ds*q.
     */
    public static void backward(int B, int T, int H, int Hkv, int D, float scale,
                                AttentionRows q, AttentionRows k, AttentionRows v, MemorySegment keyMask,
                                AttentionRows out, MemorySegment lse, AttentionRows dout,
                                AttentionRows dq, AttentionRows dk, AttentionRows dv) {
        backward(B, T, H, Hkv, D, scale, q, k, v, keyMask, AttentionMasking.NONE, out, lse, dout, dq, dk, dv);
    }

    /** Gradients of the {@code masking} form of forward, given the same masking. */
    public static void backward(int B, int T, int H, int Hkv, int D, float scale,
                                AttentionRows q, AttentionRows k, AttentionRows v, MemorySegment keyMask,
                                AttentionMasking masking, AttentionRows out, MemorySegment lse, AttentionRows dout,
                                AttentionRows dq, AttentionRows dk, AttentionRows dv) {
        Dims x = new Dims(B, T, H, Hkv, D, scale, keyMask, masking);
        // One task = one (b, kv head): it owns dk/dv rows of that kv head and dq rows of its H/Hkv query heads.
        CpuParallel.forRange(B * Hkv, 1, (from, to) -> {
            float[] s = AttentionVectors.scratch(3 * ROWS * D + 2 * ROWS * TILE + 5 * ROWS);
            for (int task = from; task < to; task++) {
                int b = task / Hkv, kvh = task % Hkv;
                for (int t = 0; t < T; t++) {
                    long row = (long) b * T + t;
                    dk.seg().asSlice(dk.offset(row, kvh, D), (long) D * Float.BYTES).fill((byte) 0);
                    dv.seg().asSlice(dv.offset(row, kvh, D), (long) D * Float.BYTES).fill((byte) 0);
                }
                for (int h = kvh * x.group(); h < (kvh + 1) * x.group(); h++) {
                    for (int t0 = 0; t0 < T; t0 += ROWS) {
                        backwardBlock(x, b, h, t0, q, k, v, out, lse, dout, dq, dk, dv, s);
                    }
                }
            }
        });
    }

    /**
     * out and lse of query rows t0 .. t0+3 of (b, h) by an online softmax over key tiles. Rows past T are
     * computed as empty rows and not stored.
     * s: [qs (4 rows of D) | acc (4 rows of D) | p (TILE keys x 4 rows) | m (4) | l (4) | exp shift (4)].
     */
    private static void forwardBlock(Dims x, int b, int h, int t0, AttentionRows q, AttentionRows k,
                                     AttentionRows v, AttentionRows out, MemorySegment lse, float[] s) {
        int D = x.D(), kvh = h / x.group(), rows = Math.min(ROWS, x.T() - t0), last = t0 + rows - 1;
        int QS = 0, ACC = ROWS * D, P = 2 * ROWS * D, M = P + ROWS * TILE, L = M + ROWS, SH = L + ROWS;
        long base = (long) b * x.T();
        for (int i = 0; i < ROWS; i++) { // qs = scale * q, so a score is qs·k
            if (i < rows) load(x.scale(), q.seg(), q.offset(base + t0 + i, h, D), s, QS + i * D, D);
            else Arrays.fill(s, QS + i * D, QS + (i + 1) * D, 0f);
            s[M + i] = NEG_INF; // running max of row i's scores
            s[L + i] = 0f;      // running sum of exp(score - max)
        }
        Arrays.fill(s, ACC, ACC + ROWS * D, 0f);
        for (int s0 = x.start(b, t0); s0 <= last; s0 += TILE) {
            int n = Math.min(TILE, last + 1 - s0);
            scoreTile(x, b, kvh, t0, rows, s0, n, k, s, QS, P);
            // Per row: shift the sum and accumulator to the tile's max; a row with no allowed key yet keeps
            // max = -inf and shifts by 0 (its scores are all -inf, so its p are 0).
            for (int i = 0; i < ROWS; i++) {
                float tileMax = NEG_INF;
                for (int j = 0; j < n; j++) tileMax = Math.max(tileMax, s[P + j * ROWS + i]);
                if (tileMax > s[M + i]) {
                    float c = (float) Math.exp(s[M + i] - tileMax);
                    s[L + i] *= c;
                    scale(c, s, ACC + i * D, D);
                    s[M + i] = tileMax;
                }
                s[SH + i] = s[M + i] == NEG_INF ? 0f : s[M + i];
            }
            exp4(s, P, n * ROWS, s, SH); // p = exp(score - max)
            // l_i += p_ij; acc_i += p_ij * v_j: each v row loaded once for the 4 query rows.
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < ROWS; i++) s[L + i] += s[P + j * ROWS + i];
                if (x.dropping() && x.allowed(b, s0 + j)) { // the sum above is undropped; the values see p·z
                    for (int i = 0; i < rows; i++) s[P + j * ROWS + i] *= x.keptFactor(b, h, t0 + i, s0 + j);
                }
            }
            accumulateRows(x, b, s0, n, s, P, v, base, kvh, ACC);
        }
        // l == 0 only when no key is allowed: the accumulator is still zero, so out = 0 and lse = -inf.
        for (int i = 0; i < rows; i++) {
            float l = s[L + i];
            store(l > 0f ? 1f / l : 0f, s, ACC + i * D, out.seg(), out.offset(base + t0 + i, h, D), D);
            lse.setAtIndex(ValueLayout.JAVA_FLOAT, x.lseIndex(b, h, t0 + i),
                    l > 0f ? s[M + i] + (float) Math.log(l) : NEG_INF);
        }
    }

    /**
     * Query rows t0 .. t0+3 of (b, h): their dq rows (written), and their contributions to dk, dv of keys
     * s <= t (added). Rows past T, and rows with no allowed key (lse = -inf), get p = 0.
     * s: [qs (4 rows of D) | dout (4 rows of D) | dq (4 rows of D) | p (TILE keys x 4 rows)
     *     | exp shift = lse (4) | Delta (4) | dp (4) | ds (4) | p*z (4) | scale*ds (TILE keys x 4 rows)].
     */
    private static void backwardBlock(Dims x, int b, int h, int t0, AttentionRows q, AttentionRows k,
                                      AttentionRows v, AttentionRows out, MemorySegment lse, AttentionRows dout,
                                      AttentionRows dq, AttentionRows dk, AttentionRows dv, float[] s) {
        int D = x.D(), kvh = h / x.group(), rows = Math.min(ROWS, x.T() - t0), last = t0 + rows - 1;
        int QS = 0, DO = ROWS * D, DQ = 2 * ROWS * D, P = 3 * ROWS * D, SH = P + ROWS * TILE;
        int DELTA = SH + ROWS, DP = DELTA + ROWS, DS = DP + ROWS, PZ = DS + ROWS, DSQ = PZ + ROWS;
        long base = (long) b * x.T();
        Arrays.fill(s, 0, 3 * ROWS * D, 0f);
        for (int i = 0; i < ROWS; i++) {
            float rowLse = i < rows ? lse.getAtIndex(ValueLayout.JAVA_FLOAT, x.lseIndex(b, h, t0 + i)) : NEG_INF;
            s[SH + i] = rowLse == NEG_INF ? 0f : rowLse;
            s[DELTA + i] = 0f;
            if (rowLse == NEG_INF) continue; // past T or no allowed key: qs = dout = 0
            load(x.scale(), q.seg(), q.offset(base + t0 + i, h, D), s, QS + i * D, D); // qs = scale * q
            load(1f, dout.seg(), dout.offset(base + t0 + i, h, D), s, DO + i * D, D);
            s[DELTA + i] = dot(s, DO + i * D, out.seg(), out.offset(base + t0 + i, h, D), D); // Delta = dout·out
        }
        for (int s0 = x.start(b, t0); s0 <= last; s0 += TILE) {
            int n = Math.min(TILE, last + 1 - s0);
            scoreTile(x, b, kvh, t0, rows, s0, n, k, s, QS, P);
            exp4(s, P, n * ROWS, s, SH); // p = exp(score - lse), recomputed
            for (int j = 0; j < n; j++) {
                int key = s0 + j, pj = P + j * ROWS;
                if (!x.allowed(b, key)) continue;
                dot4(s, DO, v.seg(), v.offset(base + key, kvh, D), D, s, DP); // dp_i = dout_i·v_s
                for (int i = 0; i < ROWS; i++) {
                    float z = x.dropping() && i < rows ? x.keptFactor(b, h, t0 + i, key) : 1f;
                    s[PZ + i] = s[pj + i] * z;
                    s[DS + i] = s[pj + i] * (z * s[DP + i] - s[DELTA + i]); // softmax (and dropout) backward
                    s[DSQ + j * ROWS + i] = x.scale() * s[DS + i];
                }
                axpy4Out(s, PZ, s, DO, dv.seg(), dv.offset(base + key, kvh, D), D); // dv_s += sum_i p_i z_i dout_i
                axpy4Out(s, DS, s, QS, dk.seg(), dk.offset(base + key, kvh, D), D); // dk_s += sum_i ds_i scale q_i
            }
            accumulateRows(x, b, s0, n, s, DSQ, k, base, kvh, DQ); // dq_i += sum_s scale ds_is k_s
        }
        for (int i = 0; i < rows; i++) store(1f, s, DQ + i * D, dq.seg(), dq.offset(base + t0 + i, h, D), D);
    }

    /**
     * acc_i += sum_j w_ij r_{s0+j} for the block's 4 rows i over the tile's allowed keys j (rows r of k or v,
     * weights key-major at s[W + 4j + i]): with every key allowed one sweep of the tile's rows, each chunk of the
     * accumulators held in registers; with a key mask, key by key.
     */
    private static void accumulateRows(Dims x, int b, int s0, int n, float[] s, int W, AttentionRows r, long base,
                                       int kvh, int ACC) {
        int D = x.D();
        if (x.keyMask() == null) {
            axpy4IntoRows(s, W, n, r.seg(), r.offset(base + s0, kvh, D), r.rowStride() * Float.BYTES, s, ACC, D);
            return;
        }
        for (int j = 0; j < n; j++) {
            if (x.allowed(b, s0 + j)) axpy4Into(s, W + j * ROWS, r.seg(), r.offset(base + s0 + j, kvh, D), s, ACC, D);
        }
    }

    /**
     * Scores of keys s0 .. s0+n-1 against the block's rows, key-major: s[P + j*4 + i] = qs_i·k_{s0+j}, or -inf
     * where the key is padding, after row i (causal), before row i's document, or row i is past T. A row with lse = -inf has every key
     * masked here, so its p are 0 in backward too.
     */
    private static void scoreTile(Dims x, int b, int kvh, int t0, int rows, int s0, int n, AttentionRows k,
                                  float[] s, int QS, int P) {
        long base = (long) b * x.T();
        for (int j = 0; j < n; j++) {
            int key = s0 + j, pj = P + j * ROWS;
            boolean allowed = x.allowed(b, key);
            if (allowed) dot4(s, QS, k.seg(), k.offset(base + key, kvh, x.D()), x.D(), s, pj);
            for (int i = 0; i < ROWS; i++) {
                if (!allowed || i >= rows || key > t0 + i || key < x.start(b, t0 + i)) s[pj + i] = NEG_INF;
            }
        }
    }

    /**
     * The problem's sizes, scale, key mask and masking, shared by every block. docStart [B*T] (null without
     * documents): the first position of the document of each (b, t), non-decreasing along t.
     */
    private record Dims(int B, int T, int H, int Hkv, int D, float scale, MemorySegment keyMask, int[] docStart,
                        float dropout, long seed, long threshold, float kept) {
        Dims {
            if (Hkv <= 0 || H % Hkv != 0) {
                throw new IllegalArgumentException("H=" + H + " is not a multiple of Hkv=" + Hkv);
            }
        }

        Dims(int B, int T, int H, int Hkv, int D, float scale, MemorySegment keyMask, AttentionMasking m) {
            this(B, T, H, Hkv, D, scale, keyMask, docStarts(B, T, m.documents()), m.dropout(), m.dropoutSeed(),
                    DropoutMask.threshold(m.dropout()), DropoutMask.keptScale(m.dropout()));
        }

        private static int[] docStarts(int B, int T, MemorySegment documents) {
            if (documents == null) return null;
            int[] start = new int[B * T];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    int i = b * T + t;
                    boolean sameAsPrevious = t > 0 && documents.getAtIndex(ValueLayout.JAVA_INT, i)
                            == documents.getAtIndex(ValueLayout.JAVA_INT, i - 1);
                    start[i] = sameAsPrevious ? start[i - 1] : t;
                }
            }
            return start;
        }

        /** First key query t of row b may see (0 without documents); t past T gives T. */
        int start(int b, int t) {
            if (docStart == null) return 0;
            return t < T ? docStart[b * T + t] : T;
        }

        boolean dropping() {
            return dropout > 0f;
        }

        /** z of probability (b, h, t, key): 1/(1-p) where kept, else 0. */
        float keptFactor(int b, int h, int t, int key) {
            long index = (((long) b * H + h) * T + t) * T + key;
            return DropoutMask.keep(seed, index, threshold) ? kept : 0f;
        }

        /** Query heads per kv head. */
        int group() {
            return H / Hkv;
        }

        boolean allowed(int b, int key) {
            return keyMask == null || keyMask.getAtIndex(ValueLayout.JAVA_INT, (long) b * T + key) != 0;
        }

        long lseIndex(int b, int h, int t) {
            return ((long) b * H + h) * T + t;
        }
    }
}
