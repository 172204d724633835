package dev.lathe.core.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.KvCache;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cached attention ops reproduce the full causal ops: a prompt prefilled through the cache and then decoded
 * one position at a time gives the same outputs as causalSelfAttention / causalAttention over the whole
 * sequence, with and without left padding.
 */
class CachedAttentionOpsTest {

    @Test
    void cachedSelfAttentionMatchesCausalSelfAttention() {
        int B = 2, T = 11, H = 3, D = 8, C = H * D, prompt = 4;
        int[] mask = new int[B * T];
        Arrays.fill(mask, 1);
        mask[T] = 0; // row 1 is left-padded by two positions
        mask[T + 1] = 0;
        try (var s = Scope.open(); var g = GradMode.off(); var cache = new KvCache(2, B, T, H, D)) {
            Tensor qkv = Tensor.randn(new Random(3), 1f, B, T, 3 * C);
            Tensor keyMask = Tensor.ofInts(mask, B, T);
            float[] full = AttentionOps.causalSelfAttention(qkv, H, keyMask).toFloatArray();

            float[] decoded = new float[B * T * C];
            for (int start = 0; start < T; ) {
                int tq = start == 0 ? prompt : 1;
                Tensor step = rows(qkv, start, tq);
                for (int layer = 0; layer < 2; layer++) { // two layers: each sees only its own cache
                    float[] out = AttentionOps.cachedSelfAttention(step, cache, layer, H, keyMask).toFloatArray();
                    if (layer == 0) place(out, decoded, B, T, tq, start, C);
                }
                cache.advance(tq);
                start += tq;
            }
            assertClose(full, decoded, 1e-5f);
        }
    }

    @Test
    void cachedAttentionMatchesGroupedQueryCausalAttention() {
        int B = 2, T = 9, H = 4, Hkv = 2, D = 6;
        try (var s = Scope.open(); var g = GradMode.off(); var cache = new KvCache(1, B, T, Hkv, D)) {
            Random rnd = new Random(4);
            Tensor q = Tensor.randn(rnd, 1f, B, T, H * D);
            Tensor k = Tensor.randn(rnd, 1f, B, T, Hkv * D);
            Tensor v = Tensor.randn(rnd, 1f, B, T, Hkv * D);
            float[] full = AttentionOps.causalAttention(q, k, v, H, Hkv, null).toFloatArray();
            float[] decoded = new float[B * T * H * D];
            for (int t = 0; t < T; t++) {
                Tensor out = AttentionOps.cachedAttention(rows(q, t, 1), rows(k, t, 1), rows(v, t, 1), cache, 0, H, null);
                place(out.toFloatArray(), decoded, B, T, 1, t, H * D);
                cache.advance(1);
            }
            assertClose(full, decoded, 1e-5f);
            assertThrows(IllegalStateException.class,
                    () -> AttentionOps.cachedAttention(rows(q, 0, 1), rows(k, 0, 1), rows(v, 0, 1), cache, 0, H, null));
        }
    }

    /** Positions start .. start+n-1 of every row of x [B, T, W], as a new [B, n, W] tensor. */
    private static Tensor rows(Tensor x, int start, int n) {
        int B = x.dim(0), T = x.dim(1), W = x.dim(2);
        float[] all = x.toFloatArray(), part = new float[B * n * W];
        for (int b = 0; b < B; b++) System.arraycopy(all, (b * T + start) * W, part, b * n * W, n * W);
        return Tensor.of(part, B, n, W);
    }

    /** Writes a step's output [B, tq, W] into positions start.. of a [B, T, W] array. */
    private static void place(float[] step, float[] into, int B, int T, int tq, int start, int W) {
        for (int b = 0; b < B; b++) System.arraycopy(step, b * tq * W, into, (b * T + start) * W, tq * W);
    }

    private static void assertClose(float[] expected, float[] actual, float tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol, "element " + i);
    }
}
