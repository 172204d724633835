package dev.lathe.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** KvCache: where appended rows land, packed-column appends, step commits, overflow, reset and lifetime. */
class KvCacheTest {

    /** [B, T, W] tensor with value 1000*b + 100*t + column, so every cached element names its origin. */
    private static Tensor labelled(int B, int T, int W, int tOffset) {
        float[] x = new float[B * T * W];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int j = 0; j < W; j++) x[(b * T + t) * W + j] = 1000 * b + 100 * (t + tOffset) + j;
            }
        }
        return Tensor.of(x, B, T, W);
    }

    @Test
    void appendWritesAtTheCurrentLengthOfEachRow() {
        try (var cache = new KvCache(2, 2, 5, 2, 3); var s = Scope.open()) {
            int w = cache.width();
            for (int layer = 0; layer < 2; layer++) cache.append(layer, labelled(2, 3, w, 0), labelled(2, 3, w, 50));
            assertEquals(0, cache.length());
            assertEquals(3, cache.filled(0));
            cache.advance(3);
            for (int layer = 0; layer < 2; layer++) cache.append(layer, labelled(2, 1, w, 3), labelled(2, 1, w, 53));
            cache.advance(1);
            assertEquals(4, cache.length());

            float[] k = cache.keys(1).toFloatArray(), v = cache.values(1).toFloatArray();
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 4; t++) {
                    for (int j = 0; j < w; j++) {
                        int at = (b * 5 + t) * w + j;
                        assertEquals(1000 * b + 100 * t + j, k[at], "k[" + b + "," + t + "," + j + "]");
                        assertEquals(1000 * b + 100 * (t + 50) + j, v[at], "v[" + b + "," + t + "," + j + "]");
                    }
                }
            }
        }
    }

    @Test
    void appendTakesColumnRangesOfAPackedTensor() {
        try (var cache = new KvCache(1, 2, 4, 2, 2); var s = Scope.open()) {
            int c = cache.width(); // packed q | k | v, each c wide
            Tensor qkv = labelled(2, 2, 3 * c, 0);
            cache.append(0, qkv, c, qkv, 2 * c);
            float[] k = cache.keys(0).toFloatArray(), v = cache.values(0).toFloatArray();
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 2; t++) {
                    float[] expectK = new float[c], expectV = new float[c];
                    for (int j = 0; j < c; j++) {
                        expectK[j] = 1000 * b + 100 * t + c + j;
                        expectV[j] = 1000 * b + 100 * t + 2 * c + j;
                    }
                    int at = (b * 4 + t) * c;
                    assertArrayEquals(expectK, Arrays.copyOfRange(k, at, at + c));
                    assertArrayEquals(expectV, Arrays.copyOfRange(v, at, at + c));
                }
            }
        }
    }

    @Test
    void appendingPastCapacityThrows() {
        try (var cache = new KvCache(1, 1, 4, 1, 2); var s = Scope.open()) {
            cache.append(0, labelled(1, 3, 2, 0), labelled(1, 3, 2, 0));
            cache.advance(3);
            var e = assertThrows(IllegalStateException.class,
                    () -> cache.append(0, labelled(1, 2, 2, 0), labelled(1, 2, 2, 0)));
            assertTrue(e.getMessage().contains("KV cache full"), e.getMessage());
            assertTrue(e.getMessage().contains("3 of 4"), e.getMessage());
            assertEquals(3, cache.filled(0)); // a refused append writes nothing
            cache.append(0, labelled(1, 1, 2, 0), labelled(1, 1, 2, 0)); // exactly full is fine
            cache.advance(1);
            assertEquals(4, cache.length());
        }
    }

    @Test
    void advanceNeedsEveryLayerToHaveAppendedTheStep() {
        try (var cache = new KvCache(2, 1, 4, 1, 2); var s = Scope.open()) {
            cache.append(0, labelled(1, 1, 2, 0), labelled(1, 1, 2, 0));
            assertThrows(IllegalStateException.class, () -> cache.advance(1)); // layer 1 missing
            cache.append(1, labelled(1, 1, 2, 0), labelled(1, 1, 2, 0));
            assertThrows(IllegalStateException.class, () -> cache.advance(2)); // wrong step size
            cache.advance(1);
            cache.reset();
            assertEquals(0, cache.length());
            assertEquals(0, cache.filled(1));
        }
    }

    @Test
    void rejectsMisshapenInputs() {
        try (var cache = new KvCache(1, 2, 4, 1, 2); var s = Scope.open()) {
            assertThrows(IllegalArgumentException.class, () -> cache.append(0, labelled(1, 1, 2, 0), labelled(1, 1, 2, 0))); // batch
            assertThrows(IllegalArgumentException.class, () -> cache.append(0, labelled(2, 1, 3, 0), 2, labelled(2, 1, 3, 0), 0)); // columns overrun
            assertThrows(IllegalArgumentException.class, () -> cache.append(0, labelled(2, 1, 2, 0), labelled(2, 2, 2, 0))); // k, v lengths
            assertThrows(IndexOutOfBoundsException.class, () -> cache.filled(1));
        }
    }

    @Test
    void buffersOutliveScopesAndCloseWithTheCache() {
        KvCache cache;
        try (var s = Scope.open()) {
            cache = new KvCache(1, 1, 2, 1, 1);
        }
        assertTrue(!cache.keys(0).isClosed(), "cache buffers must not belong to the scope they were created in");
        Tensor k = cache.keys(0), v = cache.values(0);
        cache.close();
        assertTrue(k.isClosed() && v.isClosed());
        assertThrows(IllegalStateException.class, cache::reset);
    }
}
