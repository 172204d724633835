package dev.lathe.core.cuda;

import dev.lathe.core.memory.Storage;
import java.util.ArrayList;
import java.util.List;

/**
 * Device scratch buffers of one backend call (partial sums, attention's doc starts and deltas), from the caching
 * allocator and returned to it on close. Closing right after queuing the kernels that use them is safe: the next
 * user of a block queues its work on the same stream, after them.
 */
final class ScratchSet implements AutoCloseable {
    private final CudaBackend backend;
    private final List<Storage> taken = new ArrayList<>();

    ScratchSet(CudaBackend backend) {
        this.backend = backend;
    }

    /** A buffer of {@code bytes} bytes; its device address, passed to kernels as a Long (a 64-bit pointer slot). */
    long take(long bytes) {
        Storage s = backend.scratch(bytes);
        taken.add(s);
        return s.segment().address();
    }

    @Override
    public void close() {
        for (Storage s : taken) s.release();
        taken.clear();
    }
}
