package dev.lathe.core.cpu;

import java.lang.foreign.MemorySegment;

/**
 * What a training attention call masks beyond causality and padding: {@code documents} (null, or int32 [B, T]
 * whose contiguous runs of one id are separate documents: a query sees only keys of its own run) and probability
 * dropout p with its mask key ({@link dev.lathe.core.backend.AttentionSpec} gives the mask's indexing).
 */
public record AttentionMasking(MemorySegment documents, float dropout, long dropoutSeed) {
    /** Causal and padding masking only. */
    public static final AttentionMasking NONE = new AttentionMasking(null, 0f, 0L);
}
