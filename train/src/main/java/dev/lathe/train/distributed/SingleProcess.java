package dev.lathe.train.distributed;

import dev.lathe.core.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A world of one process: every collective is the identity. */
public final class SingleProcess implements World {
    public static final SingleProcess INSTANCE = new SingleProcess();

    private SingleProcess() {}

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int size() {
        return 1;
    }

    @Override
    public void allReduce(double[] values, Reduction op) {}

    @Override
    public CompletableFuture<Void> allReduceSumAsync(MemorySegment buffer, int count) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> allReduceSumAsync(List<Tensor> buffers) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public String broadcast(String text) {
        return text;
    }

    @Override
    public void barrier() {}

    @Override
    public void abort(Throwable cause) {}
}
