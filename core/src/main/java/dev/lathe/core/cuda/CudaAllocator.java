package dev.lathe.core.cuda;

import dev.lathe.core.Device;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching device allocator in the manner of PyTorch's: a freed block is kept and handed out again instead
 * of going back to the driver, so a training step's allocations stop costing {@code cuMemAlloc}/{@code cuMemFree}
 * (each of which synchronises) after the first step. Sizes are rounded (512-byte multiples below 1 MiB, 2 MiB
 * multiples above) so blocks fit later requests; a request takes the smallest cached block that holds it and is
 * at most twice its size. When the driver runs out of memory every cached block is freed and the allocation
 * tried once more.
 *
 * <p>All work is on one stream, so a block freed while kernels that use it are still queued can be reused
 * at once: the next user's kernels run after them.
 */
public final class CudaAllocator {
    /** Requests below this round to {@link #SMALL_ROUND}, others to {@link #LARGE_ROUND}. */
    static final long SMALL_LIMIT = 1L << 20, SMALL_ROUND = 512, LARGE_ROUND = 2L << 20;

    /** The raw device allocation calls behind the cache. */
    interface DeviceMemory {
        /** A new block of {@code bytes} bytes, or 0 when the device is out of memory. */
        long allocate(long bytes);

        void free(long pointer);

        /** Waits for queued work (which may still use blocks about to be freed). */
        void synchronize();
    }

    /** A device block: its address and rounded size. */
    record Block(long pointer, long size) {}

    private final DeviceMemory memory;
    private final TreeMap<Long, ArrayDeque<Long>> cached = new TreeMap<>(); // size -> free block addresses
    private long allocated, reserved, peak;

    CudaAllocator(DeviceMemory memory) {
        this.memory = memory;
    }

    /** Device memory for {@code bytes} bytes as a {@link Storage}; closing its last tensor returns the block here. */
    public Storage allocate(long bytes) {
        Block b = acquire(bytes);
        return new Storage(MemorySegment.ofAddress(b.pointer()).reinterpret(bytes), Device.CUDA, () -> release(b));
    }

    /** The size a request is rounded to: a 512-byte multiple below 1 MiB (at least 512), else a 2 MiB multiple. */
    static long roundedSize(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation " + bytes);
        long unit = bytes < SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        return Math.max(unit, (bytes + unit - 1) / unit * unit);
    }

    synchronized Block acquire(long bytes) {
        long size = roundedSize(bytes);
        Map.Entry<Long, ArrayDeque<Long>> fit = cached.ceilingEntry(size);
        Block block;
        if (fit != null && fit.getKey() <= 2 * size) {
            long pointer = fit.getValue().pop();
            if (fit.getValue().isEmpty()) cached.remove(fit.getKey());
            block = new Block(pointer, fit.getKey());
        } else {
            long pointer = memory.allocate(size);
            if (pointer == 0) {
                emptyCache();
                pointer = memory.allocate(size);
            }
            if (pointer == 0) {
                throw new IllegalStateException("CUDA out of memory: cannot allocate " + mib(size) + " (" + mib(allocated)
                        + " allocated by tensors, " + mib(reserved) + " reserved after freeing the cache)");
            }
            reserved += size;
            block = new Block(pointer, size);
        }
        allocated += block.size();
        peak = Math.max(peak, allocated);
        return block;
    }

    synchronized void release(Block block) {
        allocated -= block.size();
        cached.computeIfAbsent(block.size(), s -> new ArrayDeque<>()).push(block.pointer());
    }

    /** Returns every cached (unused) block to the driver. */
    public synchronized void emptyCache() {
        if (cached.isEmpty()) return;
        memory.synchronize();
        for (var e : cached.entrySet()) {
            for (long pointer : e.getValue()) {
                memory.free(pointer);
                reserved -= e.getKey();
            }
        }
        cached.clear();
    }

    /** Bytes in blocks held by live storage (rounded sizes). */
    public synchronized long allocatedBytes() {
        return allocated;
    }

    /** Bytes obtained from the driver: allocated plus cached. */
    public synchronized long reservedBytes() {
        return reserved;
    }

    /** The most bytes allocated at once since creation or {@link #resetPeak}. */
    public synchronized long peakAllocatedBytes() {
        return peak;
    }

    public synchronized void resetPeak() {
        peak = allocated;
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
