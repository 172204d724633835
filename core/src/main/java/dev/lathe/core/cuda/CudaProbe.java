package dev.lathe.core.cuda;

import dev.lathe.bindings.cuda.CudaDriver;
import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;

/** Why the CUDA backend cannot run here, or null when it can: driver library, cuInit, a device, cuBLAS. */
final class CudaProbe {
    private CudaProbe() {}

    /** Never throws: any failure becomes the reason. */
    static String reason() {
        try {
            return check();
        } catch (Throwable t) { // a driver that loads but misbehaves: report it, never fail the caller
            return "probing the CUDA driver failed: " + t;
        }
    }

    private static String check() {
        try {
            CudaLibraryLocator.system().locate(CudaLibrary.DRIVER);
        } catch (UnsatisfiedLinkError e) {
            return "no CUDA driver: " + e.getMessage();
        }
        CudaDriver cu = CudaDriver.get();
        try {
            cu.init(0);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "cuInit failed (no usable GPU or driver): " + e.getMessage();
        }
        int count = cu.deviceCount();
        if (count == 0) return "the CUDA driver sees no device";
        int ordinal;
        try {
            ordinal = CudaContext.deviceOrdinal();
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
        if (ordinal >= count) {
            return CudaContext.DEVICE_ENV + "=" + ordinal + " but the driver sees " + count + " device(s)";
        }
        try {
            CudaLibraryLocator.system().locate(CudaLibrary.CUBLAS);
        } catch (UnsatisfiedLinkError e) {
            return "cuBLAS missing: " + e.getMessage();
        }
        return null;
    }
}
