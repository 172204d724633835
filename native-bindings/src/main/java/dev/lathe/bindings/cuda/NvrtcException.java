package dev.lathe.bindings.cuda;

/** A call into NVRTC returned a non-success {@code nvrtcResult}. */
public final class NvrtcException extends CudaException {
    public NvrtcException(String function, int code, String statusName, String detail) {
        super(function, code, statusName, detail);
    }
}
