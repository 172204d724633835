package dev.lathe.train.distributed;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;

/**
 * The processes of one data-parallel run and their collectives. Every rank must issue the same collectives in
 * the same order. {@link #current()} is this process's world: MPI's when launched by {@code mpirun} with more
 * than one rank, else one process.
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

    /** Time spent in gradient all-reduces so far, on the communication thread. */
    default long gradientReduceNanos() {
        return 0;
    }

    /** Rank 0's {@code text} on every rank. */
    String broadcast(String text);

    void barrier();

    /** Ends every rank after a failure on this one (the others would wait in a collective for ever). */
    void abort(Throwable cause);

    /** This process's world, set up once on first use. */
    static World current() {
        return Worlds.current();
    }
}
