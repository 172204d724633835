package dev.lathe.core.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Device;
import dev.lathe.core.memory.Storage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The caching allocator's bookkeeping over a fake device: rounding, reuse, best fit, out-of-memory recovery, stats. */
class CudaAllocatorTest {
    /** A device of {@code capacity} bytes handing out increasing addresses; records every call. */
    static final class FakeDevice implements CudaAllocator.DeviceMemory {
        final long capacity;
        final Map<Long, Long> live = new HashMap<>();
        final List<String> calls = new ArrayList<>();
        long next = 0x7f00_0000_0000L, used;

        FakeDevice(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            calls.add("alloc " + bytes);
            if (used + bytes > capacity) return 0;
            long p = next;
            next += bytes + 4096;
            live.put(p, bytes);
            used += bytes;
            return p;
        }

        @Override
        public void free(long pointer) {
            calls.add("free " + live.get(pointer));
            Long bytes = live.remove(pointer);
            if (bytes == null) throw new AssertionError("double or foreign free of " + pointer);
            used -= bytes;
        }

        @Override
        public void synchronize() {
            calls.add("sync");
        }
    }

    @Test
    void roundsSmallRequestsTo512BytesAndLargeOnesTo2MiB() {
        assertEquals(512, CudaAllocator.roundedSize(0));
        assertEquals(512, CudaAllocator.roundedSize(1));
        assertEquals(512, CudaAllocator.roundedSize(512));
        assertEquals(1024, CudaAllocator.roundedSize(513));
        assertEquals(1L << 20, CudaAllocator.roundedSize((1L << 20) - 1));
        assertEquals(2L << 20, CudaAllocator.roundedSize(1L << 20));
        assertEquals(4L << 20, CudaAllocator.roundedSize((2L << 20) + 1));
        assertThrows(IllegalArgumentException.class, () -> CudaAllocator.roundedSize(-1));
    }

    @Test
    void aFreedBlockIsReusedWithoutAskingTheDevice() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CudaAllocator alloc = new CudaAllocator(dev);
        Storage a = alloc.allocate(1000);
        assertEquals(Device.CUDA, a.device());
        assertEquals(1000, a.byteSize(), "the storage is the requested size");
        long address = a.segment().address();
        a.release();
        assertEquals(0, alloc.allocatedBytes());
        assertEquals(1024, alloc.reservedBytes(), "the block stays reserved in the cache");
        Storage b = alloc.allocate(900); // rounds to the same 1024
        assertEquals(address, b.segment().address());
        assertEquals(List.of("alloc 1024"), dev.calls);
        b.release();
    }

    @Test
    void bestFitTakesTheSmallestCachedBlockButNeverOneMoreThanTwiceTooBig() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CudaAllocator alloc = new CudaAllocator(dev);
        Storage big = alloc.allocate(64 << 20), mid = alloc.allocate(6 << 20), small = alloc.allocate(4 << 20);
        long midAddress = mid.segment().address(), smallAddress = small.segment().address();
        big.release();
        mid.release();
        small.release();
        Storage s = alloc.allocate(3 << 20); // rounds to 4 MiB: the 4 MiB block fits exactly
        assertEquals(smallAddress, s.segment().address());
        Storage t = alloc.allocate(3 << 20); // 4 MiB again: 6 MiB is within 2x, 64 MiB would not be
        assertEquals(midAddress, t.segment().address());
        int before = dev.calls.size();
        Storage u = alloc.allocate(8 << 20); // only 64 MiB is cached: more than 2x too big, so a new block
        assertEquals(List.of("alloc " + (8 << 20)), dev.calls.subList(before, dev.calls.size()));
        assertEquals((64 + 6 + 4 + 8) << 20, alloc.reservedBytes());
        assertEquals((4 + 6 + 8) << 20, alloc.allocatedBytes(), "blocks count at their cached size");
        s.release();
        t.release();
        u.release();
    }

    @Test
    void outOfMemoryFreesTheCacheAndRetriesOnce() {
        FakeDevice dev = new FakeDevice(10L << 20);
        CudaAllocator alloc = new CudaAllocator(dev);
        Storage a = alloc.allocate(4 << 20), b = alloc.allocate(4 << 20);
        a.release(); // cached, 4 MiB: too small for the next request
        Storage c = alloc.allocate(6 << 20); // 6 MiB: only 2 MiB free on the device until the cache goes back
        assertEquals(List.of("alloc " + (4 << 20), "alloc " + (4 << 20), "alloc " + (6 << 20), "sync",
                "free " + (4 << 20), "alloc " + (6 << 20)), dev.calls);
        assertEquals(10L << 20, alloc.reservedBytes());
        assertEquals(10L << 20, alloc.allocatedBytes());
        var e = assertThrows(IllegalStateException.class, () -> alloc.allocate(1 << 20));
        assertTrue(e.getMessage().startsWith("CUDA out of memory: cannot allocate 2.0 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("10.0 MiB allocated"), e.getMessage());
        b.release();
        c.release();
    }

    @Test
    void statisticsTrackAllocatedReservedAndPeak() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CudaAllocator alloc = new CudaAllocator(dev);
        Storage a = alloc.allocate(100), b = alloc.allocate(3 << 20);
        assertEquals(512 + (4 << 20), alloc.allocatedBytes());
        assertEquals(alloc.allocatedBytes(), alloc.peakAllocatedBytes());
        b.release();
        assertEquals(512, alloc.allocatedBytes());
        assertEquals(512 + (4 << 20), alloc.peakAllocatedBytes(), "the peak stays");
        alloc.resetPeak();
        assertEquals(512, alloc.peakAllocatedBytes());
        alloc.emptyCache();
        assertEquals(512, alloc.reservedBytes(), "only the live block remains reserved");
        assertEquals(1, dev.live.size());
        a.release();
        alloc.emptyCache();
        assertEquals(0, alloc.reservedBytes());
        assertTrue(dev.live.isEmpty());
    }

    @Test
    void distinctLiveBlocksNeverShareMemory() {
        FakeDevice dev = new FakeDevice(1L << 30);
        CudaAllocator alloc = new CudaAllocator(dev);
        List<Storage> live = new ArrayList<>();
        for (int i = 0; i < 20; i++) live.add(alloc.allocate(300 + 97L * i));
        live.get(3).release();
        live.get(7).release();
        Storage again = alloc.allocate(300 + 97L * 3);
        for (int i = 0; i < live.size(); i++) {
            if (i != 3 && i != 7) assertNotEquals(live.get(i).segment().address(), again.segment().address());
        }
        again.release();
        for (int i = 0; i < live.size(); i++) if (i != 3 && i != 7) live.get(i).release();
        assertEquals(0, alloc.allocatedBytes());
    }
}
