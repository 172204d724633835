package dev.lathe.core;

/** Where a tensor's storage lives. Host storage is an off-heap segment; device storage is never dereferenced on the host. */
public enum Device {
    CPU,
    CUDA
}
