/**
 * Panama downcalls for the native libraries Lathe drives (the CUDA driver API, cuBLAS, cuDNN, NVRTC):
 * one method per C function, library discovery, and status-code to exception mapping. No tensors, no policy.
 */
package dev.lathe.bindings;
