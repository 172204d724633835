package dev.lathe.train.distributed;

import dev.lathe.bindings.mpi.Mpi;
import dev.lathe.bindings.nccl.Nccl;
import dev.lathe.bindings.nccl.NcclStatus;
import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.cuda.CudaLaunch;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * GPU ranks over one NCCL communicator, built from rank 0's unique id (sent by the {@link Rendezvous} of a
 * torchrun-style launch, or by MPI's broadcast under {@code mpirun}). Every collective is enqueued on the CUDA
 * backend's stream from the calling thread, so it runs after the kernels that produced its input and before those
 * that read its output: gradient sums complete in stream order (their futures are complete once enqueued). Host
 * values (metrics, strings, the barrier) travel through small device buffers; reading them back waits for the
 * stream. There is no separate communication stream yet, so all-reduces do not overlap the backward pass.
 */
final class NcclWorld implements World {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private final Nccl nccl;
    private final int rank;
    private final int size;
    private final MemorySegment comm;
    private final MemorySegment stream;
    private final Runnable abortAll;
    private long gradientNanos;

    /**
     * Joins the communicator of {@code size} ranks that share {@code uniqueId}, on this process's CUDA device
     * ({@code LATHE_CUDA_DEVICE}): the CUDA backend is started first so that its context is current when NCCL
     * picks the GPU. {@code abortAll} ends every rank after a failure.
     */
    NcclWorld(Nccl nccl, int rank, int size, byte[] uniqueId, Runnable abortAll) {
        Backends.of(Device.CUDA);
        this.nccl = nccl;
        this.rank = rank;
        this.size = size;
        this.stream = CudaLaunch.stream(); // also makes the device current on this thread: NCCL takes its GPU from it
        this.comm = nccl.commInitRank(size, uniqueId, rank);
        this.abortAll = abortAll;
    }

    /** The world of a torchrun-style launch: NCCL's unique id from rank 0 over the rendezvous. */
    static NcclWorld overRendezvous(LaunchEnv env, Duration timeout, PrintStream err) {
        Nccl nccl = Nccl.get();
        byte[] id;
        try (Rendezvous r = Rendezvous.join(env, timeout)) {
            id = r.broadcast(env.rank() == 0 ? nccl.uniqueId() : null);
        }
        NcclWorld w = new NcclWorld(nccl, env.rank(), env.worldSize(), id, () -> Runtime.getRuntime().halt(1));
        if (env.rank() == 0) err.println("distributed: " + env.worldSize() + " GPU ranks over NCCL " + nccl.version());
        return w;
    }

    /** The world of GPU ranks under {@code mpirun}: MPI gives the ranks and broadcasts NCCL's unique id. */
    static NcclWorld overMpi(PrintStream err) {
        Mpi mpi = Mpi.load();
        // SERIALIZED: MPI_Abort may come from a failing thread and MPI_Finalize from the shutdown hook.
        MpiStart.start(mpi, Mpi.THREAD_SERIALIZED, Supplier::get);
        int rank = mpi.rank(), size = mpi.size();
        Nccl nccl = Nccl.get();
        byte[] id;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Nccl.UNIQUE_ID_BYTES);
            if (rank == 0) buf.copyFrom(MemorySegment.ofArray(nccl.uniqueId()));
            mpi.broadcast(buf, Nccl.UNIQUE_ID_BYTES, 0);
            id = buf.toArray(ValueLayout.JAVA_BYTE);
        }
        NcclWorld w = new NcclWorld(nccl, rank, size, id, () -> mpi.abort(1));
        if (rank == 0) err.println("distributed: " + size + " GPU ranks over NCCL " + nccl.version() + ", started by " + mpi.describe());
        return w;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    /** Doubles travel as raw bytes in an I32 device tensor (tensors have no F64) and are reduced as ncclFloat64. */
    @Override
    public void allReduce(double[] values, Reduction op) {
        if (values.length == 0) return;
        try (var s = Scope.open()) {
            Tensor host = Tensor.empty(DType.I32, 2 * values.length);
            MemorySegment.copy(values, 0, host.segment(), F64, 0, values.length);
            Tensor device = host.to(Device.CUDA);
            long p = CudaLaunch.pointer(device);
            nccl.allReduce(p, p, values.length, NcclStatus.FLOAT64, ncclOp(op), comm, stream);
            MemorySegment.copy(device.to(Device.CPU).segment(), F64, 0, values, 0, values.length);
        }
    }

    @Override
    public CompletableFuture<Void> allReduceSumAsync(MemorySegment buffer, int count) {
        throw new UnsupportedOperationException("NCCL ranks sum device tensors; host gradients need CPU ranks under mpirun");
    }

    /** One NCCL group for all {@code buffers}; complete once enqueued (see the class comment). */
    @Override
    public CompletableFuture<Void> allReduceSumAsync(List<Tensor> buffers) {
        long start = System.nanoTime();
        nccl.groupStart();
        try {
            for (Tensor b : buffers) {
                if (b.device() != Device.CUDA || b.dtype() != DType.F32 || b.isTransposed()) {
                    throw new IllegalArgumentException("NCCL sums contiguous F32 CUDA tensors, got " + b);
                }
                long p = CudaLaunch.pointer(b);
                nccl.allReduce(p, p, b.numel(), NcclStatus.FLOAT32, NcclStatus.SUM, comm, stream);
            }
        } finally {
            nccl.groupEnd();
        }
        gradientNanos += System.nanoTime() - start;
        return CompletableFuture.completedFuture(null);
    }

    /** Host time spent enqueuing gradient all-reduces (the transfers themselves run asynchronously on the stream). */
    @Override
    public long gradientReduceNanos() {
        return gradientNanos;
    }

    @Override
    public String broadcast(String text) {
        byte[] mine = rank == 0 ? text.getBytes(StandardCharsets.UTF_8) : new byte[0];
        int n = broadcastInts(new int[] {mine.length})[0];
        int[] words = new int[(n + 3) / 4];
        if (rank == 0) MemorySegment.ofArray(words).copyFrom(MemorySegment.ofArray(mine));
        int[] got = broadcastInts(words);
        byte[] bytes = new byte[n];
        MemorySegment.ofArray(bytes).copyFrom(MemorySegment.ofArray(got).asSlice(0, n));
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** An all-reduce of one value read back on the host: no rank returns before every rank has entered. */
    @Override
    public void barrier() {
        allReduce(new double[] {0}, Reduction.SUM);
    }

    @Override
    public void abort(Throwable cause) {
        System.err.println("rank " + rank + ": " + cause + "; aborting every rank");
        System.err.flush();
        abortAll.run();
    }

    /** Rank 0's {@code values} on every rank. */
    private int[] broadcastInts(int[] values) {
        if (values.length == 0) return values;
        try (var s = Scope.open()) {
            Tensor device = Tensor.ofInts(values).to(Device.CUDA);
            long p = CudaLaunch.pointer(device);
            nccl.broadcast(p, p, values.length, NcclStatus.INT32, 0, comm, stream);
            return device.toIntArray();
        }
    }

    private static int ncclOp(Reduction op) {
        return switch (op) {
            case SUM -> NcclStatus.SUM;
            case MIN -> NcclStatus.MIN;
            case MAX -> NcclStatus.MAX;
        };
    }
}
