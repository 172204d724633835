package dev.lathe.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reuse and give-back policy of HostBlockCache, on stand-in blocks (addresses only, never dereferenced). */
class HostBlockCacheTest {
    private static final long MB = 1 << 20;

    private final List<MemorySegment> released = new ArrayList<>();
    private final HostBlockCache cache = new HostBlockCache(released::add);
    private long nextAddress = 1 << 20;

    /** What HostAllocator does: a cached block of the class, else a fresh one. */
    private MemorySegment allocate(long classSize) {
        MemorySegment b = cache.take(classSize);
        if (b != null) return b;
        MemorySegment fresh = MemorySegment.ofAddress(nextAddress);
        nextAddress += classSize;
        return fresh;
    }

    @Test
    void sizeClassesRoundUpByAtMostAnEighth() {
        for (long size = HostBlockCache.MIN_BLOCK; size < 1L << 34; size = size * 17 / 13 + 64) {
            long c = HostBlockCache.sizeClass(size);
            assertTrue(c >= size && c - size <= size / 8, size + " -> " + c);
            assertEquals(c, HostBlockCache.sizeClass(c), "a class size is its own class");
        }
        assertEquals(54525952, HostBlockCache.sizeClass(256L * 50257 * 4)); // GPT-2 logits at 256 tokens
    }

    @Test
    void freedBlockIsReusedByItsClassMostRecentFirst() {
        MemorySegment a = allocate(8 * MB), b = allocate(8 * MB);
        assertNotEquals(a.address(), b.address());
        cache.put(a, 8 * MB);
        cache.put(b, 8 * MB);
        assertEquals(16 * MB, cache.cachedBytes());
        assertSame(b, cache.take(8 * MB));
        assertSame(a, cache.take(8 * MB));
        assertEquals(0, cache.cachedBytes());
        assertTrue(released.isEmpty());
    }

    @Test
    void missPastTheLivePeakGivesBackTheLeastRecentlyFreed() {
        MemorySegment big = allocate(96 * MB), small = allocate(8 * MB);
        cache.put(big, 96 * MB);
        cache.put(small, 8 * MB);
        // Live peak 104 MB, so held bytes may reach 104 + 104/16 = 110.5 MB: a fresh 64 MB block must push
        // 57.5 MB out of the cache, and the least recently freed block, the big one, goes; the small one stays.
        allocate(64 * MB);
        assertEquals(List.of(big), released);
        assertEquals(8 * MB, cache.cachedBytes());
        assertSame(small, cache.take(8 * MB));
    }

    @Test
    void blocksWithinASixteenthOfTheLivePeakStayCached() {
        // A training step in miniature: 1000 MB live at peak, 200 MB of it freed, then a 52 MB block (logits)
        // comes and goes before a 160 MB one (an embedding gradient) is made. Held bytes may reach 1062.5 MB, so
        // the fresh 160 MB block costs the two oldest cached 100 MB blocks, not the logits block: the next step
        // finds both of its big blocks.
        List<MemorySegment> live = new ArrayList<>();
        for (int i = 0; i < 10; i++) live.add(allocate(100 * MB));
        cache.put(live.get(0), 100 * MB);
        cache.put(live.get(1), 100 * MB);
        MemorySegment logits = allocate(52 * MB);
        cache.put(logits, 52 * MB);
        MemorySegment grad = allocate(160 * MB);
        cache.put(grad, 160 * MB);
        assertEquals(live.subList(0, 2), released);
        assertSame(grad, cache.take(160 * MB));
        assertSame(logits, cache.take(52 * MB));
    }

    @Test
    void clearGivesEveryCachedBlockBack() {
        MemorySegment a = allocate(MB), b = allocate(2 * MB);
        cache.put(a, MB);
        cache.put(b, 2 * MB);
        cache.clear();
        assertEquals(0, cache.cachedBytes());
        assertEquals(2, released.size());
        assertNull(cache.take(MB));
    }
}
