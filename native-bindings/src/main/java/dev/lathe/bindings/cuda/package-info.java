/**
 * Panama bindings for CUDA: the driver API ({@link dev.lathe.bindings.cuda.CudaDriver}), cuBLAS, NVRTC and the
 * cuDNN 9 backend graph API, one method per C function (its C signature in a comment above it). Libraries are
 * found by {@link dev.lathe.bindings.cuda.CudaLibraryLocator} and bound on first use; every failing status is a
 * {@link dev.lathe.bindings.cuda.CudaException} subclass carrying the library's name for it.
 */
package dev.lathe.bindings.cuda;
