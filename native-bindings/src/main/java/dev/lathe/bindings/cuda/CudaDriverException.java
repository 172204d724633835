package dev.lathe.bindings.cuda;

/** A call into the CUDA driver API returned a non-success {@code CUresult}. */
public final class CudaDriverException extends CudaException {
    public CudaDriverException(String function, int code, String statusName, String detail) {
        super(function, code, statusName, detail);
    }
}
