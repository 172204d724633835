package dev.lathe.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.backend.Backends;
import dev.lathe.core.memory.HostAllocator;
import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void viewsShareStorageAndReadInLogicalOrder() {
        try (var s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, x.view(3, 2).toFloatArray());
            assertArrayEquals(new int[] {3, 2}, x.view(-1, 2).shape());
            assertArrayEquals(new float[] {3, 4, 5}, x.slice(1, 2).toFloatArray());
            Tensor xt = x.t();
            assertTrue(xt.isTransposed());
            assertArrayEquals(new int[] {3, 2}, xt.shape());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, xt.toFloatArray());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, xt.contiguous().toFloatArray());
            assertFalse(xt.contiguous().isTransposed());
            x.slice(1, 2).setFloat(0, 42f); // writes through to the parent
            assertEquals(42f, x.getFloat(3));
        }
    }

    @Test
    void batchedTransposeReadsEachMatrix() {
        try (var s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 2, 2, 3);
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11}, x.t().contiguous().toFloatArray());
        }
    }

    @Test
    void badShapesAreRejected() {
        try (var s = Scope.open()) {
            Tensor x = Tensor.zeros(2, 3);
            assertThrows(IllegalArgumentException.class, () -> x.view(4, 2));
            assertThrows(IllegalArgumentException.class, () -> x.view(-1, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> x.slice(1, 3));
            assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2, 3}, 2, 2));
            assertThrows(IllegalStateException.class, () -> x.t().view(6));
        }
    }

    @Test
    void scopeFreesEverythingItCreatedAndEscapeKeepsOwnership() {
        long before = HostAllocator.liveBytes();
        Tensor kept;
        try (var s = Scope.open()) {
            Tensor a = Tensor.zeros(1000);
            Tensor view = a.view(10, 100); // views hold a reference; storage is freed with the last one
            assertEquals(before + 4000, HostAllocator.liveBytes());
            kept = Scope.escape(() -> Tensor.zeros(10));
            try (var inner = Scope.open()) {
                Tensor.zeros(500);
                assertEquals(before + 6040, HostAllocator.liveBytes());
            }
            assertEquals(before + 4040, HostAllocator.liveBytes());
            assertFalse(view.isClosed());
        }
        assertEquals(before + 40, HostAllocator.liveBytes());
        kept.close();
        kept.close(); // idempotent
        assertEquals(before, HostAllocator.liveBytes());
    }

    @Test
    void detachHandsOwnershipToTheCaller() {
        long before = HostAllocator.liveBytes();
        Tensor out;
        try (var s = Scope.open()) {
            out = s.detach(Tensor.zeros(8));
        }
        assertFalse(out.isClosed());
        out.close();
        assertEquals(before, HostAllocator.liveBytes());
    }

    @Test
    void useAfterCloseFails() {
        Tensor x = Tensor.zeros(4);
        x.close();
        assertThrows(IllegalStateException.class, x::toFloatArray);
    }

    @Test
    void halfPrecisionStorageRoundTripsThroughCopy() {
        try (var s = Scope.open()) {
            float[] v = {1f, -2.5f, 0.1f, 65504f, 3.140625f};
            Tensor f32 = Tensor.of(v, 5);
            Tensor bf16 = Tensor.empty(DType.BF16, 5), f16 = Tensor.empty(DType.F16, 5);
            Backends.cpu().copy(f32, bf16);
            Backends.cpu().copy(f32, f16);
            float[] b = bf16.toFloatArray(), h = f16.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(v[i], b[i], Math.abs(v[i]) / 128, "bf16 " + v[i]); // 8 significant bits
                assertEquals(v[i], h[i], Math.abs(v[i]) / 1024, "f16 " + v[i]); // 11 significant bits
            }
            Tensor back = Tensor.empty(DType.F32, 5);
            Backends.cpu().copy(bf16, back);
            assertArrayEquals(b, back.toFloatArray());
        }
    }
}
