package dev.lathe.bindings.nccl;

import dev.lathe.bindings.NativeLibrary;
import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * NCCL (libnccl), one method per C function. Device buffers are {@code long} device pointers (as
 * {@link dev.lathe.bindings.cuda.CudaDriver}'s); communicators ({@code ncclComm_t}) and CUDA streams
 * ({@code cudaStream_t}, {@link MemorySegment#NULL} for the default stream) are {@link MemorySegment} handles.
 * Nothing is located or bound until a method is first called, so this class loads on a machine without NCCL;
 * a non-success status is an {@link NcclException}.
 */
public final class Nccl {
    /** {@code NCCL_UNIQUE_ID_BYTES}: ncclUniqueId is {@code struct { char internal[128]; }}, passed by value. */
    public static final int UNIQUE_ID_BYTES = 128;
    public static final StructLayout UNIQUE_ID = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, ValueLayout.JAVA_BYTE).withName("internal"));

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG, DEVICE_PTR = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;
    private static final Nccl SYSTEM = new Nccl(() -> CudaLibraryLocator.load(CudaLibrary.NCCL));

    private final Supplier<NativeLibrary> library;
    private final Map<String, MethodHandle> handles = new ConcurrentHashMap<>();

    private Nccl(Supplier<NativeLibrary> library) {
        this.library = library;
    }

    /** NCCL as this process's {@link CudaLibraryLocator#system()} finds it. */
    public static Nccl get() {
        return SYSTEM;
    }

    /** NCCL as {@code locator} finds it (opened on the first call). */
    public static Nccl using(CudaLibraryLocator locator) {
        Map<CudaLibrary, NativeLibrary> opened = new ConcurrentHashMap<>();
        return new Nccl(() -> opened.computeIfAbsent(CudaLibrary.NCCL, l -> NativeLibrary.open(locator.locate(l))));
    }

    // ncclResult_t ncclGetVersion(int *version);  — e.g. 22703 for 2.27.3
    public int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(I32);
            call("ncclGetVersion", FunctionDescriptor.of(I32, PTR), v);
            return v.get(I32, 0);
        }
    }

    // ncclResult_t ncclGetUniqueId(ncclUniqueId *uniqueId);
    // Rank 0 calls it and sends the 128 bytes to the other ranks (e.g. over MPI) before ncclCommInitRank.
    public byte[] uniqueId() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(UNIQUE_ID);
            call("ncclGetUniqueId", FunctionDescriptor.of(I32, PTR), id);
            return id.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    // ncclResult_t ncclCommInitRank(ncclComm_t *comm, int nranks, ncclUniqueId commId, int rank);
    // Collective over the nranks processes holding the same id; each has made its own GPU current first.
    public MemorySegment commInitRank(int nranks, byte[] uniqueId, int rank) {
        if (uniqueId.length != UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("an ncclUniqueId is " + UNIQUE_ID_BYTES + " bytes, not " + uniqueId.length);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment comm = a.allocate(PTR);
            MemorySegment id = a.allocate(UNIQUE_ID);
            id.copyFrom(MemorySegment.ofArray(uniqueId));
            call("ncclCommInitRank", FunctionDescriptor.of(I32, PTR, I32, UNIQUE_ID, I32), comm, nranks, id, rank);
            return comm.get(PTR, 0);
        }
    }

    // ncclResult_t ncclAllReduce(const void *sendbuff, void *recvbuff, size_t count, ncclDataType_t datatype,
    //                            ncclRedOp_t op, ncclComm_t comm, cudaStream_t stream);  — in place when send == recv
    public void allReduce(long send, long recv, long count, int dataType, int op, MemorySegment comm, MemorySegment stream) {
        call("ncclAllReduce", FunctionDescriptor.of(I32, DEVICE_PTR, DEVICE_PTR, SIZE_T, I32, I32, PTR, PTR),
                send, recv, count, dataType, op, comm, stream);
    }

    // ncclResult_t ncclBroadcast(const void *sendbuff, void *recvbuff, size_t count, ncclDataType_t datatype,
    //                            int root, ncclComm_t comm, cudaStream_t stream);
    public void broadcast(long send, long recv, long count, int dataType, int root, MemorySegment comm, MemorySegment stream) {
        call("ncclBroadcast", FunctionDescriptor.of(I32, DEVICE_PTR, DEVICE_PTR, SIZE_T, I32, I32, PTR, PTR),
                send, recv, count, dataType, root, comm, stream);
    }

    // ncclResult_t ncclGroupStart(void);  — collectives until ncclGroupEnd are launched as one (e.g. a bucket of grads)
    public void groupStart() {
        call("ncclGroupStart", FunctionDescriptor.of(I32));
    }

    // ncclResult_t ncclGroupEnd(void);
    public void groupEnd() {
        call("ncclGroupEnd", FunctionDescriptor.of(I32));
    }

    // ncclResult_t ncclCommDestroy(ncclComm_t comm);
    public void commDestroy(MemorySegment comm) {
        call("ncclCommDestroy", FunctionDescriptor.of(I32, PTR), comm);
    }

    // const char *ncclGetErrorString(ncclResult_t result);
    public String errorString(int code) {
        try {
            MemorySegment s = (MemorySegment) handle("ncclGetErrorString", FunctionDescriptor.of(PTR, I32)).invoke(code);
            return s.address() == 0 ? "" : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private MethodHandle handle(String symbol, FunctionDescriptor descriptor) {
        return handles.computeIfAbsent(symbol, s -> library.get().function(s, descriptor));
    }

    private void call(String symbol, FunctionDescriptor descriptor, Object... args) {
        int code;
        try {
            code = (int) handle(symbol, descriptor).invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (code != NcclStatus.SUCCESS) throw new NcclException(symbol, code, errorString(code));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
