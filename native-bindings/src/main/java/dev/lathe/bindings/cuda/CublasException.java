package dev.lathe.bindings.cuda;

/** A call into cuBLAS returned a non-success {@code cublasStatus_t}. */
public final class CublasException extends CudaException {
    public CublasException(String function, int code, String statusName, String detail) {
        super(function, code, statusName, detail);
    }
}
