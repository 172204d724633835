package dev.lathe.models.io;

import dev.lathe.core.DType;

/**
 * Element types a safetensors header may name. Declaration order is the Rust crate's {@code Dtype} order, which
 * its writer sorts tensors by (largest first) so that every tensor's data is aligned to its element size.
 */
public enum SafetensorsDType {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
    F64(8), I64(8), U64(8);

    private final int bytes;

    SafetensorsDType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The header's name for a Lathe tensor type. */
    public static SafetensorsDType of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case BF16 -> BF16;
            case F16 -> F16;
            case I32 -> I32;
        };
    }

    /** The Lathe tensor type that holds this type's values unchanged, or null (I64 narrows to I32 when read). */
    public DType toDType() {
        return switch (this) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case F16 -> DType.F16;
            case I32, I64 -> DType.I32;
            default -> null;
        };
    }

    /** The header's spelling, or null when the name is not a known type. */
    static SafetensorsDType parse(String name) {
        for (SafetensorsDType t : values()) if (t.name().equals(name)) return t;
        return null;
    }
}
