package dev.lathe.train.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.bindings.cuda.CudaLibrary;
import dev.lathe.bindings.cuda.CudaLibraryLocator;
import dev.lathe.bindings.nccl.Nccl;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A one-rank NCCL world on a real GPU: the communicator comes up from a fresh unique id, and every collective
 * (device all-reduce of a bucket group, host all-reduces through device buffers, broadcast, barrier) leaves the
 * values as they are, the sum over one rank.
 */
@Tag("gpu")
class NcclWorldGpuTest {
    @Test
    void oneRankCollectivesOnTheGpu() {
        Assumptions.assumeTrue(Backends.cudaUnavailableReason() == null, () -> "no usable GPU: " + Backends.cudaUnavailableReason());
        Assumptions.assumeTrue(CudaLibraryLocator.isPresent(CudaLibrary.NCCL), "NCCL (libnccl) is not installed");
        Nccl nccl = Nccl.get();
        NcclWorld world = new NcclWorld(nccl, 0, 1, nccl.uniqueId(), () -> {
            throw new AssertionError("abort");
        });
        assertEquals(0, world.rank());
        assertEquals(1, world.size());

        float[] a = {1.5f, -2f, 3.25f, 1e-30f}, b = {7f, -0f, 1e30f};
        try (Tensor da = Tensor.of(a).to(Device.CUDA); Tensor db = Tensor.of(b).to(Device.CUDA)) {
            world.allReduceSumAsync(List.of(da, db)).join();
            assertArrayEquals(a, da.toFloatArray());
            assertArrayEquals(b, db.toFloatArray());
        }
        double[] v = {0.1, -3e200, 42};
        for (World.Reduction op : World.Reduction.values()) {
            double[] copy = v.clone();
            world.allReduce(copy, op);
            assertArrayEquals(v, copy, op.name());
        }
        assertEquals("héllo, wörld: 12", world.broadcast("héllo, wörld: 12"));
        assertEquals("", world.broadcast(""));
        world.barrier();
    }
}
