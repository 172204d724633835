/**
 * Panama bindings for NCCL (libnccl): the collectives GPU data-parallel training needs on one communicator.
 * The library is found by {@link dev.lathe.bindings.cuda.CudaLibraryLocator} (PyTorch's wheels ship it in
 * {@code nvidia/nccl/lib}) and opened on the first call.
 */
package dev.lathe.bindings.nccl;
