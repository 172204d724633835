package dev.lathe.bindings.cuda;

/**
 * A CUDA library call returned an error status. Carries the library's own name for the status (e.g.
 * {@code CUDA_ERROR_OUT_OF_MEMORY}), its numeric code and the function that returned it; the message reads
 * {@code "cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory"}.
 */
public abstract sealed class CudaException extends RuntimeException
        permits CudaDriverException, CublasException, NvrtcException, CudnnException {
    private final String function, statusName;
    private final int code;

    protected CudaException(String function, int code, String statusName, String detail) {
        super(function + ": " + statusName + " (" + code + ")" + (detail == null || detail.isBlank() ? "" : ": " + detail));
        this.function = function;
        this.code = code;
        this.statusName = statusName;
    }

    /** The C function that failed. */
    public String function() {
        return function;
    }

    /** The numeric status it returned. */
    public int code() {
        return code;
    }

    /** The library's name for that status. */
    public String statusName() {
        return statusName;
    }
}
