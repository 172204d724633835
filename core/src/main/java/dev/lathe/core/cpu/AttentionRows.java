package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * A [B*T, *] row view: element (b, t, head, d) is at float index (b*T + t) * rowStride + head*D + d of seg
 * (seg starts at element 0 of the view). A rowStride wider than the heads lets q, k and v be slices of one
 * packed [B, T, 3C] buffer.
 */
public record AttentionRows(MemorySegment seg, long rowStride) {

    /** Byte offset of element (row = b*T + t, head, d = 0) for head dim D. */
    long offset(long row, int head, int D) {
        return (row * rowStride + (long) head * D) * Float.BYTES;
    }
}
