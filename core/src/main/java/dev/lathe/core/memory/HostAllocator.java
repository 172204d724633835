package dev.lathe.core.memory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Off-heap host memory from the C allocator: 64-byte aligned, freed explicitly, never by the GC.
 *
 * <p>Segments come from {@code aligned_alloc} and are reinterpreted in the global scope, so every thread of
 * the CPU pool can read them without the liveness handshake a shared {@code Arena} would need on close. The
 * allocator counts live bytes and the peak, which tests and benchmarks read. Freed blocks of 64 KiB and more are
 * kept for reuse by a {@link HostBlockCache} ({@code -Dlathe.hostCache=false} turns it off); they count as
 * {@link #cachedBytes()}, not as live.
 */
public final class HostAllocator {
    /** Alignment of every allocation: one cache line, and a whole AVX-512 register. */
    public static final long ALIGNMENT = 64;

    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_BLOCKS = new AtomicLong();
    private static final AtomicLong PEAK_BYTES = new AtomicLong();
    private static final HostBlockCache CACHE = Boolean.parseBoolean(System.getProperty("lathe.hostCache", "true"))
            ? new HostBlockCache(HostAllocator::freeRaw) : null;

    static {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        // void *aligned_alloc(size_t alignment, size_t size);
        ALIGNED_ALLOC = linker.downcallHandle(libc.find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        // void free(void *ptr);
        FREE = linker.downcallHandle(libc.find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private HostAllocator() {}

    /** Allocates {@code bytes} (rounded up to the alignment), uninitialised. */
    public static MemorySegment allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation: " + bytes);
        long size = alignedSize(bytes);
        MemorySegment raw = null;
        if (CACHE != null && size >= HostBlockCache.MIN_BLOCK) {
            size = HostBlockCache.sizeClass(size);
            raw = CACHE.take(size);
        }
        if (raw == null) raw = allocateRaw(size);
        long live = LIVE_BYTES.addAndGet(bytes);
        LIVE_BLOCKS.incrementAndGet();
        PEAK_BYTES.accumulateAndGet(live, Math::max);
        return raw.reinterpret(bytes);
    }

    /** Frees a segment returned by {@link #allocate}. */
    public static void free(MemorySegment segment) {
        long bytes = segment.byteSize();
        long size = alignedSize(bytes);
        if (CACHE != null && size >= HostBlockCache.MIN_BLOCK) CACHE.put(segment, HostBlockCache.sizeClass(size));
        else freeRaw(segment);
        LIVE_BYTES.addAndGet(-bytes);
        LIVE_BLOCKS.decrementAndGet();
    }

    /** Bytes of freed blocks kept for reuse (resident, but not live). */
    public static long cachedBytes() {
        return CACHE == null ? 0 : CACHE.cachedBytes();
    }

    /** Returns the cached blocks to the C allocator (and so, for large ones, to the operating system). */
    public static void releaseCached() {
        if (CACHE != null) CACHE.clear();
    }

    /** The size allocate() asks for: bytes rounded up to the alignment, at least one unit. */
    private static long alignedSize(long bytes) {
        return Math.max(ALIGNMENT, (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
    }

    private static MemorySegment allocateRaw(long size) {
        MemorySegment raw = alignedAlloc(size);
        if (raw.address() == 0) {
            // Cached blocks may be what is missing: give them back and try once more.
            releaseCached();
            raw = alignedAlloc(size);
        }
        if (raw.address() == 0) {
            throw new OutOfMemoryError("cannot allocate " + size + " bytes of host memory (live: " + liveBytes() + ")");
        }
        return raw;
    }

    private static MemorySegment alignedAlloc(long size) {
        try {
            return (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGNMENT, size);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
    }

    private static void freeRaw(MemorySegment raw) {
        try {
            FREE.invokeExact(raw);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }

    /** Bytes currently allocated and not freed. */
    public static long liveBytes() {
        return LIVE_BYTES.get();
    }

    /** Number of allocations not yet freed. */
    public static long liveBlocks() {
        return LIVE_BLOCKS.get();
    }

    /** Highest {@link #liveBytes()} seen since start or the last {@link #resetPeak()}. */
    public static long peakBytes() {
        return PEAK_BYTES.get();
    }

    public static void resetPeak() {
        PEAK_BYTES.set(LIVE_BYTES.get());
    }
}
