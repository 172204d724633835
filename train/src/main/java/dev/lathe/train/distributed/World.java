package dev.lathe.train.distributed;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The processes of one data-parallel run and their collectives. Every rank must issue the same collectives in
 * the same order. {@link #current} is this process's world: MPI's when launched by {@code mpirun} with more
 * than one CPU rank, NCCL's for GPU ranks (under {@code mpirun} or a torchrun-style launch), else one process.
 */
public interface World {
    /** Element-wise reductions over ranks. */
    enum Reduction { SUM, MIN, MAX }

    int rank();

    int size();

    /** Rank 0, which alone writes metrics, checkpoints and reports. */
    default boolean isLeader() {
        return rank() == 0;
    }

    /** Reduces {@code values} over every rank, in place. */
    void allReduce(double[] values, Reduction op);

    /** Starts summing {@code count} floats of the off-heap {@code buffer} over every rank, in place. */
    CompletableFuture<Void> allReduceSumAsync(MemorySegment buffer, int count);

    /**
     * Starts summing each of {@code buffers} (contiguous F32 tensors on the device of this world's ranks) over
     * every rank, in place, as one group of collectives. This default sums host tensors one by one.
     */
    default CompletableFuture<Void> allReduceSumAsync(List<Tensor> buffers) {
        CompletableFuture<?>[] sums = new CompletableFuture<?>[buffers.size()];
        for (int i = 0; i < sums.length; i++) {
            Tensor b = buffers.get(i);
            if (b.device() != Device.CPU) {
                throw new IllegalStateException(getClass().getSimpleName() + " sums host buffers; " + b.device()
                        + " gradients need GPU ranks over NCCL");
            }
            sums[i] = allReduceSumAsync(b.segment(), Math.toIntExact(b.numel()));
        }
        return CompletableFuture.allOf(sums);
    }

    /** Time spent in gradient all-reduces so far, on the communication thread. */
    default long gradientReduceNanos() {
        return 0;
    }

    /** Rank 0's {@code text} on every rank. */
    String broadcast(String text);

    void barrier();

    /** Ends every rank after a failure on this one (the others would wait in a collective for ever). */
    void abort(Throwable cause);

    /** This process's world for a run whose parameters are {@code params} (on one device), set up once on first use. */
    static World current(Collection<Tensor> params) {
        return Worlds.current(params.isEmpty() ? Device.CPU : params.iterator().next().device());
    }
}
