package dev.lathe.core.memory;

import dev.lathe.core.Device;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One block of memory shared by a tensor and its views. Reference counted: each tensor holding it counts once,
 * and the block goes back to its allocator when the last one is closed.
 */
public final class Storage {
    private final MemorySegment segment;
    private final Device device;
    private final Runnable release;
    private final AtomicInteger refs = new AtomicInteger(1);

    public Storage(MemorySegment segment, Device device, Runnable release) {
        this.segment = segment;
        this.device = device;
        this.release = release;
    }

    /** Host memory from {@link HostAllocator}. */
    public static Storage host(long bytes) {
        MemorySegment seg = HostAllocator.allocate(bytes);
        return new Storage(seg, Device.CPU, () -> HostAllocator.free(seg));
    }

    /** The whole block. On a device this is an address, not readable from the host. */
    public MemorySegment segment() {
        return segment;
    }

    public Device device() {
        return device;
    }

    public long byteSize() {
        return segment.byteSize();
    }

    public boolean isLive() {
        return refs.get() > 0;
    }

    /** True while exactly one holder keeps the block: no view or share of it exists. */
    public boolean isExclusive() {
        return refs.get() == 1;
    }

    /** Adds a holder; fails if the block was already released. */
    public void retain() {
        refs.getAndUpdate(r -> {
            if (r <= 0) throw new IllegalStateException("storage already released");
            return r + 1;
        });
    }

    /** Drops a holder; the last one frees the block. */
    public void release() {
        int r = refs.decrementAndGet();
        if (r == 0) release.run();
        else if (r < 0) throw new IllegalStateException("storage released twice");
    }
}
