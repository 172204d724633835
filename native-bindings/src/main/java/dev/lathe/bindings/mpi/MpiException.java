package dev.lathe.bindings.mpi;

/** An MPI call returned an error code; the message is the function and MPI's own text for it. */
public final class MpiException extends RuntimeException {
    public MpiException(String message) {
        super(message);
    }
}
