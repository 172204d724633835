package dev.lathe.core.cpu;

import static dev.lathe.core.cpu.AttentionVectors.axpyInto;
import static dev.lathe.core.cpu.AttentionVectors.dot;
import static dev.lathe.core.cpu.AttentionVectors.exp4;
import static dev.lathe.core.cpu.AttentionVectors.load;
import static dev.lathe.core.cpu.AttentionVectors.scale;
import static dev.lathe.core.cpu.AttentionVectors.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Attention of the newest Tq positions of each row against a key/value cache (generation): forward only, no
 * lse, no backward. Each query streams over its visible keys in tiles with an online softmax, so scratch is
 * O(D + TILE) per thread whatever the cache length.
 */
public final class CpuDecodeAttention {
    /** Keys scored at once before the running max and sum are updated. */
    private static final int TILE = 64;
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private CpuDecodeAttention() {}

    /**
     * q [B, Tq, H*D] (rows b*Tq + i), kCache/vCache [B, Tmax, Hkv*D] (rows b*Tmax + s) with positions 0..len-1
     * filled; H % Hkv == 0 and query head h reads kv head h / (H/Hkv). Query i of row b sits at absolute position
     * len - Tq + i and attends keys s <= that position with keyMask[b*Tmax + s] != 0 (keyMask: null or int32
     * [B, Tmax]). out [B, Tq, H*D] = softmax(scale * q·k) v; a query with no visible key gets 0.
     */
    public static void forward(int B, int Tq, int len, int Tmax, int H, int Hkv, int D, float scale,
                               AttentionRows q, AttentionRows kCache, AttentionRows vCache, MemorySegment keyMask,
                               AttentionRows out) {
        if (Hkv <= 0 || H % Hkv != 0) throw new IllegalArgumentException("H=" + H + " is not a multiple of Hkv=" + Hkv);
        if (Tq < 0 || Tq > len || len > Tmax) {
            throw new IllegalArgumentException("need 0 <= Tq <= len <= Tmax, got Tq=" + Tq + " len=" + len + " Tmax=" + Tmax);
        }
        Dims x = new Dims(Tq, len, Tmax, H / Hkv, D, scale, keyMask);
        // One task = one (b, h): its Tq queries write only their own out rows. With Tq = 1 (a decode step)
        // a task costs len key and value rows, so B*H tasks keep the cores busy.
        CpuParallel.forRange(B * H, 1, (from, to) -> {
            float[] s = AttentionVectors.scratch(2 * D + TILE + 4);
            for (int task = from; task < to; task++) {
                int b = task / H, h = task % H;
                for (int i = 0; i < Tq; i++) query(x, b, h, i, q, kCache, vCache, out, s);
            }
        });
    }

    /**
     * out row of query i of (b, h) by an online softmax over key tiles.
     * s: [qs (D) | acc (D) | p (TILE keys) | exp shift (4 copies of the running max, as exp4 reads it)].
     */
    private static void query(Dims x, int b, int h, int i, AttentionRows q, AttentionRows k, AttentionRows v,
                              AttentionRows out, float[] s) {
        int D = x.D(), kvh = h / x.group(), pos = x.len() - x.Tq() + i;
        int QS = 0, ACC = D, P = 2 * D, SH = P + TILE;
        long qRow = (long) b * x.Tq() + i, kvBase = (long) b * x.Tmax();
        load(x.scale(), q.seg(), q.offset(qRow, h, D), s, QS, D); // qs = scale * q, so a score is qs·k
        Arrays.fill(s, ACC, ACC + D, 0f);
        float max = NEG_INF; // running max of the scores
        float sum = 0f;      // running sum of exp(score - max)
        for (int s0 = 0; s0 <= pos; s0 += TILE) {
            int n = Math.min(TILE, pos + 1 - s0);
            float tileMax = NEG_INF;
            for (int j = 0; j < n; j++) {
                int key = s0 + j;
                float score = x.allowed(b, key) ? dot(s, QS, k.seg(), k.offset(kvBase + key, kvh, D), D) : NEG_INF;
                s[P + j] = score;
                tileMax = Math.max(tileMax, score);
            }
            if (tileMax == NEG_INF) continue; // every key of the tile is padding
            if (tileMax > max) { // shift the sum and accumulator to the new max (exp(-inf) = 0 on the first)
                float c = (float) Math.exp(max - tileMax);
                sum *= c;
                scale(c, s, ACC, D);
                max = tileMax;
            }
            Arrays.fill(s, SH, SH + 4, max);
            exp4(s, P, n, s, SH); // p = exp(score - max); padding keys give exactly 0
            for (int j = 0; j < n; j++) {
                float p = s[P + j];
                if (p == 0f) continue; // padding, or too small to change acc
                sum += p;
                axpyInto(p, v.seg(), v.offset(kvBase + s0 + j, kvh, D), s, ACC, D);
            }
        }
        // sum == 0 only when no key is visible: acc is still zero, so out = 0.
        store(sum > 0f ? 1f / sum : 0f, s, ACC, out.seg(), out.offset(qRow, h, D), D);
    }

    /** The problem's sizes, scale and key mask, shared by every query. */
    private record Dims(int Tq, int len, int Tmax, int group, int D, float scale, MemorySegment keyMask) {
        boolean allowed(int b, int key) {
            return keyMask == null || keyMask.getAtIndex(ValueLayout.JAVA_INT, (long) b * Tmax + key) != 0;
        }
    }
}
