package dev.lathe.core.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Kernel argument packing and the grid arithmetic of the launch contract, without a GPU. */
class CudaLaunchTest {
    static final long BASE = 0x7f12_3456_0000L;

    /** A CUDA tensor over a made-up device address (never dereferenced). */
    static Tensor deviceTensor(long offset, DType dtype, int... shape) {
        Storage s = new Storage(MemorySegment.ofAddress(BASE).reinterpret(1 << 20), Device.CUDA, () -> {});
        return Tensor.wrap(s, offset, dtype, shape);
    }

    @Test
    void aTensorIsTheAddressOfItsElementZero() {
        try (Tensor t = deviceTensor(0, DType.F32, 8, 4); Tensor row2 = t.slice(2, 3); Tensor h = deviceTensor(6, DType.BF16, 4)) {
            assertEquals(BASE, CudaLaunch.pointer(t));
            assertEquals(BASE + 2 * 4 * Float.BYTES, CudaLaunch.pointer(row2));
            assertEquals(BASE + 6 * 2, CudaLaunch.pointer(h));
        }
        try (Tensor host = Tensor.zeros(2)) {
            assertThrows(IllegalArgumentException.class, () -> CudaLaunch.pointer(host));
        }
    }

    @Test
    void argumentsArePackedInOrderWithTheirCTypes() {
        try (Arena arena = Arena.ofConfined(); Tensor t = deviceTensor(5, DType.F32, 3)) {
            var args = CudaLaunch.pack(arena, t, null, 7, -3L, 1.5f, 2.25, Long.MIN_VALUE);
            assertEquals(7, args.count());
            MemorySegment slots = args.pointers().reinterpret(7 * ValueLayout.ADDRESS.byteSize());
            MemorySegment[] s = new MemorySegment[7];
            for (int i = 0; i < 7; i++) s[i] = slots.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(8);
            assertEquals(BASE + 20, s[0].get(ValueLayout.JAVA_LONG, 0), "a tensor: 64-bit device pointer");
            assertEquals(0L, s[1].get(ValueLayout.JAVA_LONG, 0), "null: a null pointer");
            assertEquals(7, s[2].get(ValueLayout.JAVA_INT, 0));
            assertEquals(-3L, s[3].get(ValueLayout.JAVA_LONG, 0));
            assertEquals(1.5f, s[4].get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(2.25, s[5].get(ValueLayout.JAVA_DOUBLE, 0));
            assertEquals(Long.MIN_VALUE, s[6].get(ValueLayout.JAVA_LONG, 0), "an unsigned 64-bit value keeps its bits");
        }
    }

    @Test
    void anUnsupportedArgumentNamesItsPosition() {
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> CudaLaunch.pack(arena, 1, "x"));
            assertTrue(e.getMessage().startsWith("kernel argument 1 is a String"), e.getMessage());
        }
    }

    @Test
    void gridStrideLaunchesCoverEveryElementUpToTheBlockCap() {
        assertEquals(0, CudaGrid.gridStride(0));
        assertEquals(1, CudaGrid.gridStride(1));
        assertEquals(1, CudaGrid.gridStride(256));
        assertEquals(2, CudaGrid.gridStride(257));
        assertEquals(65535 * 8, CudaGrid.gridStride(1L << 40));
        for (long n : new long[] {1, 255, 256, 257, 1000, 123_457}) {
            assertTrue((long) CudaGrid.gridStride(n) * CudaGrid.BLOCK >= n, "one pass covers n = " + n);
            assertTrue((long) (CudaGrid.gridStride(n) - 1) * CudaGrid.BLOCK < n, "no idle block for n = " + n);
        }
    }

    @Test
    void reductionPartialsAndCeilings() {
        assertEquals(1, CudaGrid.reducePartials(1));
        assertEquals(4, CudaGrid.reducePartials(1000));
        assertEquals(1024, CudaGrid.reducePartials(1L << 30));
        assertEquals(0, CudaGrid.ceilDiv(0, 32));
        assertEquals(2, CudaGrid.ceilDiv(53, 32));
        assertEquals(10, CudaGrid.ceilDiv(37, 4));
        assertThrows(ArithmeticException.class, () -> CudaGrid.ceilDiv(1L << 40, 2));
        assertEquals(65535, CudaGrid.yz(65535, "batch"));
        var e = assertThrows(IllegalArgumentException.class, () -> CudaGrid.yz(65536, "batch"));
        assertTrue(e.getMessage().contains("batch 65536"), e.getMessage());
    }

    @Test
    void bf16FillBitsMatchTheCpuConversion() {
        float[] values = {0f, -0f, 1f, 1.00390625f, 1.01171875f, -3.3333333f, 65504f, 3.4e38f, Float.MIN_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7f800001),
                Float.intBitsToFloat(0xffa12345)};
        try (Tensor f = Tensor.of(values); Tensor b = Tensor.empty(DType.BF16, values.length)) {
            dev.lathe.core.backend.Backends.cpu().copy(f, b);
            for (int i = 0; i < values.length; i++) {
                int expected = b.segment().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i) & 0xFFFF;
                assertEquals(expected, CudaBackend.bf16Bits(values[i]), "value " + values[i]);
            }
        }
    }
}
