package dev.lathe.bindings.mpi;

import dev.lathe.bindings.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The part of the MPI C API data-parallel training uses, on {@code MPI_COMM_WORLD}: init with thread support,
 * rank and size, in-place all-reduce of floats and doubles, broadcast, barrier, abort and finalize. Works with
 * Open MPI and MPICH ({@link MpiAbi}). Calls are not synchronised: the caller keeps to the thread level
 * {@link #initThread} granted. A non-zero return code is an {@link MpiException} with MPI's own message.
 */
public final class Mpi {
    /** MPI_THREAD_* levels (the same values in every implementation). */
    public static final int THREAD_SINGLE = 0, THREAD_FUNNELED = 1, THREAD_SERIALIZED = 2, THREAD_MULTIPLE = 3;
    private static final int MAX_ERROR_STRING = 512;

    private final NativeLibrary lib;
    private final MpiAbi abi;
    private final MethodHandle initThread, initialized, finalized, commRank, commSize, allreduce, bcast, barrier,
            abort, finalizeFn, errorString;

    private Mpi(NativeLibrary lib) {
        this.lib = lib;
        this.abi = MpiAbi.of(lib);
        MemoryLayout h = abi.handle();
        var ptr = ValueLayout.ADDRESS;
        var i32 = ValueLayout.JAVA_INT;
        initThread = lib.function("MPI_Init_thread", FunctionDescriptor.of(i32, ptr, ptr, i32, ptr));
        initialized = lib.function("MPI_Initialized", FunctionDescriptor.of(i32, ptr));
        finalized = lib.function("MPI_Finalized", FunctionDescriptor.of(i32, ptr));
        commRank = lib.function("MPI_Comm_rank", FunctionDescriptor.of(i32, h, ptr));
        commSize = lib.function("MPI_Comm_size", FunctionDescriptor.of(i32, h, ptr));
        allreduce = lib.function("MPI_Allreduce", FunctionDescriptor.of(i32, ptr, ptr, i32, h, h, h));
        bcast = lib.function("MPI_Bcast", FunctionDescriptor.of(i32, ptr, i32, h, i32, h));
        barrier = lib.function("MPI_Barrier", FunctionDescriptor.of(i32, h));
        abort = lib.function("MPI_Abort", FunctionDescriptor.of(i32, h, i32));
        finalizeFn = lib.function("MPI_Finalize", FunctionDescriptor.of(i32));
        errorString = lib.function("MPI_Error_string", FunctionDescriptor.of(i32, i32, ptr, ptr));
    }

    /**
     * Loads libmpi: {@code -Dlathe.mpi.library} or {@code LATHE_MPI_LIBRARY} if set, else Open MPI's
     * {@code libmpi.so.40}, MPICH's {@code libmpi.so.12}, or {@code libmpi.so} in the library folders.
     */
    public static Mpi load() {
        return new Mpi(NativeLibrary.find("the MPI library (libmpi)", "lathe.mpi.library", "LATHE_MPI_LIBRARY",
                "libmpi.so.40", "libmpi.so.12", "libmpi.so"));
    }

    /** The implementation's name and the library file, for logs. */
    public String describe() {
        return abi.name() + " (" + lib.path() + ")";
    }

    /** MPI_Init_thread(NULL, NULL, required, &provided); returns the level provided. */
    public int initThread(int required) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment provided = a.allocate(ValueLayout.JAVA_INT);
            check("MPI_Init_thread", (int) initThread.invoke(MemorySegment.NULL, MemorySegment.NULL, required, provided));
            return provided.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public boolean isInitialized() {
        return flag(initialized, "MPI_Initialized");
    }

    public boolean isFinalized() {
        return flag(finalized, "MPI_Finalized");
    }

    /** This process's rank in MPI_COMM_WORLD. */
    public int rank() {
        return intOut(commRank, "MPI_Comm_rank");
    }

    /** The number of processes in MPI_COMM_WORLD. */
    public int size() {
        return intOut(commSize, "MPI_Comm_size");
    }

    /** Sums {@code count} floats of {@code buffer} over every rank, in place. */
    public void allReduceSumFloats(MemorySegment buffer, int count) {
        allReduce(buffer, count, abi.floatType(), abi.sum());
    }

    /** Reduces {@code count} doubles of {@code buffer} over every rank in place with {@code op}. */
    public void allReduceDoubles(MemorySegment buffer, int count, Op op) {
        Object handle = switch (op) {
            case SUM -> abi.sum();
            case MIN -> abi.min();
            case MAX -> abi.max();
        };
        allReduce(buffer, count, abi.doubleType(), handle);
    }

    /** Reduction operators. */
    public enum Op { SUM, MIN, MAX }

    private void allReduce(MemorySegment buffer, int count, Object type, Object op) {
        try {
            check("MPI_Allreduce", (int) allreduce.invoke(abi.inPlace(), buffer, count, type, op, abi.commWorld()));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code bytes} bytes of {@code buffer} from rank {@code root} to every rank. */
    public void broadcast(MemorySegment buffer, int bytes, int root) {
        try {
            check("MPI_Bcast", (int) bcast.invoke(buffer, bytes, abi.byteType(), root, abi.commWorld()));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void barrier() {
        try {
            check("MPI_Barrier", (int) barrier.invoke(abi.commWorld()));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Ends every rank of the job with {@code code} (MPI_Abort on MPI_COMM_WORLD). */
    public void abort(int code) {
        try {
            int ignored = (int) abort.invoke(abi.commWorld(), code);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** MPI_Finalize. */
    public void finish() {
        try {
            check("MPI_Finalize", (int) finalizeFn.invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private boolean flag(MethodHandle fn, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            check(name, (int) fn.invoke(out));
            return out.get(ValueLayout.JAVA_INT, 0) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private int intOut(MethodHandle fn, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            check(name, (int) fn.invoke(abi.commWorld(), out));
            return out.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void check(String function, int code) throws Throwable {
        if (code == 0) return;
        String message = "error " + code;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocate(MAX_ERROR_STRING);
            MemorySegment length = a.allocate(ValueLayout.JAVA_INT);
            if ((int) errorString.invoke(code, text, length) == 0) message = text.getString(0);
        }
        throw new MpiException(function + " failed: " + message);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
