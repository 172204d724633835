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
 * allocator counts live bytes and the peak, which tests and benchmarks read.
 */
public final class HostAllocator {
    /** Alignment of every allocation: one cache line, and a whole AVX-512 register. */
    public static final long ALIGNMENT = 64;

    private static final MethodHandle ALIGNED_ALLOC;
    private static final MethodHandle FREE;
    private static final AtomicLong LIVE_BYTES = new AtomicLong();
    private static final AtomicLong LIVE_BLOCKS = new AtomicLong();
    private static final AtomicLong PEAK_BYTES = new AtomicLong();

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
        long size = Math.max(ALIGNMENT, (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT);
        MemorySegment raw;
        try {
            raw = (MemorySegment) ALIGNED_ALLOC.invokeExact(ALIGNMENT, size);
        } catch (Throwable t) {
            throw new IllegalStateException("aligned_alloc failed", t);
        }
        if (raw.address() == 0) {
            throw new OutOfMemoryError("cannot allocate " + size + " bytes of host memory (live: " + liveBytes() + ")");
        }
        long live = LIVE_BYTES.addAndGet(bytes);
        LIVE_BLOCKS.incrementAndGet();
        PEAK_BYTES.accumulateAndGet(live, Math::max);
        return raw.reinterpret(bytes);
    }

    /** Frees a segment returned by {@link #allocate}. */
    public static void free(MemorySegment segment) {
        try {
            FREE.invokeExact(segment);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
        LIVE_BYTES.addAndGet(-segment.byteSize());
        LIVE_BLOCKS.decrementAndGet();
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
