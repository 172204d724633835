package dev.lathe.core.memory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Freed large host blocks kept for reuse, so a training step's activations land in pages that are already
 * mapped. Without it each step's ~0.6 GB of fresh activations came back from the C allocator as new zero pages
 * (it returns big blocks to the kernel on free): ~160 thousand page faults a step of GPT-2 124M at batch 4 x 64,
 * taken inside the GEMM tile stores and elementwise loops that first write them.
 *
 * <p>Blocks are binned by size class (eight classes per power of two, so a block serves requests up to 12.5%
 * smaller). The cache tracks the bytes of such blocks held from the C allocator, live or cached, and the peak of
 * the live ones. A request its class cannot serve gets a fresh block, and when the held bytes would then pass the
 * live peak by more than a sixteenth, cached blocks (least recently freed first) are given back for the excess:
 * resident memory stays within 1/16 of what live data needed. Without that slack a GPT-2 step traded its two
 * biggest blocks each step (the 52 MB logits freed before the 154 MB embedding gradient is made, which the next
 * step's logits then evicted): 57 thousand page faults a step instead of none. Thread-safe.
 */
final class HostBlockCache {
    /** Smaller blocks are left to the C allocator, which recycles them in its heap without new pages. */
    static final long MIN_BLOCK = 64 << 10;
    /** Held bytes may pass the live peak by this fraction of it before cached blocks are given back. */
    private static final int SLACK_DIVISOR = 16;

    private record Block(MemorySegment raw, long freedAt) {}

    private final TreeMap<Long, ArrayDeque<Block>> free = new TreeMap<>();
    private final Consumer<MemorySegment> release;
    private long cachedBytes;

    /** Bytes of cacheable blocks obtained from the C allocator and not given back (live or cached). */
    private long heldBytes;
    /** Peak of heldBytes - cachedBytes: the cacheable bytes live at once. */
    private long livePeak;
    private long clock;

    /** release returns a block to the C allocator. */
    HostBlockCache(Consumer<MemorySegment> release) {
        this.release = release;
    }

    /** The class a request of size bytes (>= MIN_BLOCK) is served from, and the size of its blocks. */
    static long sizeClass(long size) {
        long step = Long.highestOneBit(size) / 8;
        return (size + step - 1) / step * step;
    }

    /**
     * A cached block of this class, or null: then the caller allocates a fresh block of classSize bytes, counted
     * as held from here, after cached blocks were given back for whatever that takes past the limit.
     */
    synchronized MemorySegment take(long classSize) {
        ArrayDeque<Block> bin = free.get(classSize);
        if (bin != null && !bin.isEmpty()) {
            cachedBytes -= classSize;
            return bin.pop().raw();
        }
        livePeak = Math.max(livePeak, heldBytes - cachedBytes + classSize);
        long limit = livePeak + livePeak / SLACK_DIVISOR;
        if (heldBytes + classSize > limit) evict(heldBytes + classSize - limit);
        heldBytes += classSize;
        return null;
    }

    /** Keeps a block of the given class for reuse. */
    synchronized void put(MemorySegment raw, long classSize) {
        free.computeIfAbsent(classSize, c -> new ArrayDeque<>()).push(new Block(raw, clock++));
        cachedBytes += classSize;
    }

    /** Returns every cached block to the C allocator. */
    synchronized void clear() {
        evict(Long.MAX_VALUE);
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Frees cached blocks, least recently freed first, until at least bytes are gone or none is left. */
    private void evict(long bytes) {
        long freed = 0;
        while (freed < bytes && cachedBytes > 0) {
            Map.Entry<Long, ArrayDeque<Block>> oldest = null;
            for (Map.Entry<Long, ArrayDeque<Block>> e : free.entrySet()) {
                // Each bin is a stack, most recent on top, so its least recently freed block is the last.
                if (!e.getValue().isEmpty()
                        && (oldest == null || e.getValue().peekLast().freedAt() < oldest.getValue().peekLast().freedAt())) {
                    oldest = e;
                }
            }
            Block b = oldest.getValue().removeLast();
            cachedBytes -= oldest.getKey();
            heldBytes -= oldest.getKey();
            freed += oldest.getKey();
            release.accept(b.raw());
        }
        for (Iterator<ArrayDeque<Block>> it = free.values().iterator(); it.hasNext(); ) {
            if (it.next().isEmpty()) it.remove();
        }
    }
}
