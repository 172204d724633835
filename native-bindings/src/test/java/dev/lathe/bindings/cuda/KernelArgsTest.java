package dev.lathe.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** cuLaunchKernel's void** kernelParams: one pointer per argument, each to that argument's native value. */
class KernelArgsTest {
    @Test
    void packsEachArgumentBehindItsOwnPointerInOrder() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena).pointer(0x7f00_1234_5678L).i32(-7).f32(2.5f).i64(1L << 40).f64(0.125);
            assertEquals(5, args.count());
            MemorySegment array = args.pointers().reinterpret(5 * ValueLayout.ADDRESS.byteSize());
            MemorySegment[] slot = new MemorySegment[5];
            for (int i = 0; i < 5; i++) slot[i] = array.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(8);
            assertEquals(0x7f00_1234_5678L, slot[0].get(ValueLayout.JAVA_LONG, 0));
            assertEquals(-7, slot[1].get(ValueLayout.JAVA_INT, 0));
            assertEquals(2.5f, slot[2].get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(1L << 40, slot[3].get(ValueLayout.JAVA_LONG, 0));
            assertEquals(0.125, slot[4].get(ValueLayout.JAVA_DOUBLE, 0));
            for (int i = 0; i < 5; i++) {
                long align = i == 1 || i == 2 ? 4 : 8;
                assertEquals(0, slot[i].address() % align, "slot " + i + " aligned");
            }
        }
    }

    @Test
    void noArgumentsIsANullArray() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(MemorySegment.NULL, new KernelArgs(arena).pointers());
        }
    }
}
