package dev.lathe.core;

/** Element types. BF16 and F16 are storage types: the CPU backend widens them to F32 to compute. */
public enum DType {
    F32(4),
    BF16(2),
    F16(2),
    I32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    public boolean isFloating() {
        return this != I32;
    }
}
