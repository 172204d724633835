package dev.lathe.bindings.cuda;

/** A call into cuDNN returned a non-success {@code cudnnStatus_t}. */
public final class CudnnException extends CudaException {
    public CudnnException(String function, int code, String statusName, String detail) {
        super(function, code, statusName, detail);
    }
}
