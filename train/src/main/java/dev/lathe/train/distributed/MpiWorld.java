package dev.lathe.train.distributed;

import dev.lathe.bindings.mpi.Mpi;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * MPI_COMM_WORLD of an {@code mpirun} launch. Every MPI call runs on one communication thread (which also
 * called MPI_Init_thread), so MPI_THREAD_FUNNELED suffices and gradient buckets are all-reduced there while
 * the backward pass goes on in the compute threads. MPI_Finalize runs at JVM exit.
 */
final class MpiWorld implements World {
    private final Mpi mpi;
    private final ExecutorService comm = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lathe-mpi");
        t.setDaemon(true);
        return t;
    });
    private final int rank;
    private final int size;
    private volatile long gradientNanos;

    MpiWorld(PrintStream err) {
        this.mpi = Mpi.load();
        MpiStart.start(mpi, Mpi.THREAD_FUNNELED, this::call);
        this.rank = call(mpi::rank);
        this.size = call(mpi::size);
        if (rank == 0) err.println("distributed: " + size + " ranks over " + mpi.describe());
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void allReduce(double[] values, Reduction op) {
        if (values.length == 0) return;
        call(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_DOUBLE, values);
                mpi.allReduceDoubles(buf, values.length, Mpi.Op.valueOf(op.name()));
                MemorySegment.copy(buf, ValueLayout.JAVA_DOUBLE, 0, values, 0, values.length);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> allReduceSumAsync(MemorySegment buffer, int count) {
        return CompletableFuture.runAsync(() -> {
            long start = System.nanoTime();
            mpi.allReduceSumFloats(buffer, count);
            gradientNanos += System.nanoTime() - start;
        }, comm);
    }

    @Override
    public long gradientReduceNanos() {
        return gradientNanos;
    }

    @Override
    public String broadcast(String text) {
        return call(() -> {
            try (Arena a = Arena.ofConfined()) {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                MemorySegment length = a.allocate(ValueLayout.JAVA_INT);
                length.set(ValueLayout.JAVA_INT, 0, bytes.length);
                mpi.broadcast(length, 4, 0);
                int n = length.get(ValueLayout.JAVA_INT, 0);
                MemorySegment buf = a.allocate(Math.max(1, n));
                if (rank == 0) MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, n);
                mpi.broadcast(buf, n, 0);
                return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            }
        });
    }

    @Override
    public void barrier() {
        call(() -> {
            mpi.barrier();
            return null;
        });
    }

    /** MPI_Abort from the failing thread itself: the communication thread may be blocked in a collective. */
    @Override
    public void abort(Throwable cause) {
        System.err.println("rank " + rank + ": " + cause + "; aborting every rank");
        System.err.flush();
        mpi.abort(1);
    }

    private <T> T call(Supplier<T> task) {
        Future<T> f = comm.submit(task::get);
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
