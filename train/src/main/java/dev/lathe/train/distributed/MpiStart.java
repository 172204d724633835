package dev.lathe.train.distributed;

import dev.lathe.bindings.mpi.Mpi;
import java.util.function.Supplier;

/** MPI started for the worlds of an {@code mpirun} launch: MPI_Init_thread at a needed level, MPI_Finalize at exit. */
final class MpiStart {
    private MpiStart() {}

    /** Runs an MPI call on the thread MPI must see and returns its result. */
    interface OnMpiThread {
        <T> T call(Supplier<T> task);
    }

    /**
     * Initialises MPI needing thread level {@code required} (an {@code Mpi.THREAD_*}) and finalizes it at JVM exit,
     * both calls made through {@code thread} (under FUNNELED only the initialising thread may call MPI).
     */
    static void start(Mpi mpi, int required, OnMpiThread thread) {
        int provided = thread.call(() -> mpi.initThread(required));
        if (provided < required) {
            throw new IllegalStateException("MPI provides thread level " + provided + ", Lathe needs " + levelName(required));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> thread.call(() -> {
            if (!mpi.isFinalized()) mpi.finish();
            return null;
        })));
    }

    private static String levelName(int level) {
        return switch (level) {
            case Mpi.THREAD_SINGLE -> "SINGLE";
            case Mpi.THREAD_FUNNELED -> "FUNNELED";
            case Mpi.THREAD_SERIALIZED -> "SERIALIZED";
            default -> "MULTIPLE";
        };
    }
}
