package dev.lathe.bindings.mpi;

import dev.lathe.bindings.NativeLibrary;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How one MPI implementation spells the handles of the C API. The standard fixes the functions, not the
 * handles: Open MPI's {@code MPI_Comm}, {@code MPI_Datatype} and {@code MPI_Op} are pointers to exported
 * objects ({@code MPI_COMM_WORLD} is {@code &ompi_mpi_comm_world}), MPICH's (and its derivatives') are
 * {@code int} constants from {@code mpi.h}.
 *
 * @param name the implementation, for messages
 * @param handle the C layout of a handle argument (a pointer, or an int)
 * @param commWorld MPI_COMM_WORLD
 * @param floatType MPI_FLOAT
 * @param doubleType MPI_DOUBLE
 * @param byteType MPI_BYTE
 * @param sum MPI_SUM
 * @param min MPI_MIN
 * @param max MPI_MAX
 * @param inPlace MPI_IN_PLACE
 */
record MpiAbi(String name, MemoryLayout handle, Object commWorld, Object floatType, Object doubleType,
              Object byteType, Object sum, Object min, Object max, MemorySegment inPlace) {

    /** Open MPI when the library exports its world communicator, else MPICH's ABI. */
    static MpiAbi of(NativeLibrary lib) {
        if (lib.find("ompi_mpi_comm_world").isPresent()) {
            return new MpiAbi("Open MPI", ValueLayout.ADDRESS, symbol(lib, "ompi_mpi_comm_world"),
                    symbol(lib, "ompi_mpi_float"), symbol(lib, "ompi_mpi_double"), symbol(lib, "ompi_mpi_byte"),
                    symbol(lib, "ompi_mpi_op_sum"), symbol(lib, "ompi_mpi_op_min"), symbol(lib, "ompi_mpi_op_max"),
                    MemorySegment.ofAddress(1));
        }
        // mpi.h of MPICH 3/4 (also Intel MPI and MVAPICH).
        return new MpiAbi("MPICH", ValueLayout.JAVA_INT, 0x44000000, 0x4c00040a, 0x4c00080b, 0x4c00010d,
                0x58000003, 0x58000002, 0x58000001, MemorySegment.ofAddress(-1L));
    }

    private static MemorySegment symbol(NativeLibrary lib, String name) {
        return lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(lib.path() + " lacks " + name));
    }
}
