package dev.lathe.core.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** HostAllocator's accounting around its block cache. */
class HostAllocatorTest {
    @Test
    void largeBlockIsReusedAndCountsAsCachedNotLive() {
        long bytes = 3 * HostBlockCache.MIN_BLOCK + 100;
        long live = HostAllocator.liveBytes(), blocks = HostAllocator.liveBlocks();
        MemorySegment a = HostAllocator.allocate(bytes);
        assertEquals(bytes, a.byteSize());
        assertEquals(0, a.address() % HostAllocator.ALIGNMENT);
        a.setAtIndex(ValueLayout.JAVA_FLOAT, bytes / 4 - 1, 1f); // the whole requested range is usable
        assertEquals(live + bytes, HostAllocator.liveBytes());
        assertEquals(blocks + 1, HostAllocator.liveBlocks());
        long cached = HostAllocator.cachedBytes();
        HostAllocator.free(a);
        assertEquals(live, HostAllocator.liveBytes());
        assertEquals(blocks, HostAllocator.liveBlocks());
        assertTrue(HostAllocator.cachedBytes() >= cached + bytes, "freed block kept for reuse");
        MemorySegment b = HostAllocator.allocate(bytes - 64); // same size class
        assertEquals(a.address(), b.address());
        assertEquals(bytes - 64, b.byteSize());
        HostAllocator.free(b);
        HostAllocator.releaseCached();
        assertEquals(0, HostAllocator.cachedBytes());
    }

    @Test
    void smallBlocksGoStraightBack() {
        long cached = HostAllocator.cachedBytes();
        HostAllocator.free(HostAllocator.allocate(HostBlockCache.MIN_BLOCK / 2));
        assertEquals(cached, HostAllocator.cachedBytes());
    }
}
