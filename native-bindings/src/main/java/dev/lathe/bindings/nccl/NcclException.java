package dev.lathe.bindings.nccl;

/**
 * An NCCL call returned a non-success {@code ncclResult_t}; the message reads
 * {@code "ncclAllReduce: ncclInvalidArgument (4): invalid argument"}.
 */
public final class NcclException extends RuntimeException {
    private final String function;
    private final int code;

    public NcclException(String function, int code, String detail) {
        super(function + ": " + NcclStatus.name(code) + " (" + code + ")" + (detail == null || detail.isBlank() ? "" : ": " + detail));
        this.function = function;
        this.code = code;
    }

    /** The C function that failed. */
    public String function() {
        return function;
    }

    /** The {@code ncclResult_t} it returned. */
    public int code() {
        return code;
    }
}
