package dev.lathe.bindings.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code void** kernelParams} of {@code cuLaunchKernel}: one native slot per argument holding its value
 * (a device pointer is a 64-bit {@code CUdeviceptr}), and an array of the slots' addresses, in the kernel's
 * parameter order. Slots live in the given arena, which must outlive the launch call (the driver copies the
 * values at launch, so the arena may close right after it).
 */
public final class KernelArgs {
    private final Arena arena;
    private final List<MemorySegment> slots = new ArrayList<>();

    public KernelArgs(Arena arena) {
        this.arena = arena;
    }

    /** A device pointer argument ({@code T*} in the kernel). */
    public KernelArgs pointer(long devicePointer) {
        return add(arena.allocateFrom(ValueLayout.JAVA_LONG, devicePointer));
    }

    public KernelArgs i32(int value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_INT, value));
    }

    public KernelArgs i64(long value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_LONG, value));
    }

    public KernelArgs f32(float value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_FLOAT, value));
    }

    public KernelArgs f64(double value) {
        return add(arena.allocateFrom(ValueLayout.JAVA_DOUBLE, value));
    }

    private KernelArgs add(MemorySegment slot) {
        slots.add(slot);
        return this;
    }

    public int count() {
        return slots.size();
    }

    /** The {@code void*[count]} array of slot addresses (NULL when there are no arguments). */
    public MemorySegment pointers() {
        if (slots.isEmpty()) return MemorySegment.NULL;
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, slots.size());
        for (int i = 0; i < slots.size(); i++) array.setAtIndex(ValueLayout.ADDRESS, i, slots.get(i));
        return array;
    }
}
