package dev.lathe.core.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import org.junit.jupiter.api.Test;

/** A backward pass frees each intermediate gradient once the node it feeds has run, and gets the same gradients. */
class BackwardMemoryTest {
    private static final int N = 4096;

    @Test
    void intermediateGradientsAreFreedDuringTheBackwardPass() {
        float[] xs = new float[N];
        for (int i = 0; i < N; i++) xs[i] = (i % 17 - 8) / 8f;
        Tensor x = Tensor.of(xs, N).requiresGrad(true);
        try (var step = Scope.open()) {
            // c = 2x + 3x (add hands one gradient to both branches), d = c * c + c (c feeds two nodes, its
            // gradient is a sum), loss = sum(d * x) = 25x³ + 5x²: dloss/dx = 75x² + 10x.
            Tensor c = ElementwiseOps.add(ElementwiseOps.scale(x, 2f), ElementwiseOps.scale(x, 3f));
            Tensor d = ElementwiseOps.add(ElementwiseOps.mul(c, c), c);
            Tensor loss = ReduceOps.sum(ElementwiseOps.mul(d, x));
            long liveBefore = HostAllocator.liveBytes();
            HostAllocator.resetPeak();
            loss.backward();
            // What stays: x's gradient and the one-element seed. Every [N] intermediate gradient is gone.
            assertEquals(liveBefore + (long) N * Float.BYTES + Float.BYTES, HostAllocator.liveBytes());
            // Ten [N] gradients and temporaries are made in all (kept until the scope closed, before); at most six
            // are ever live at once.
            long peakExtra = HostAllocator.peakBytes() - liveBefore;
            assertTrue(peakExtra <= 6L * N * Float.BYTES + Float.BYTES, "peak above the activations: " + peakExtra);
            float[] g = x.grad().toFloatArray();
            for (int i = 0; i < N; i++) {
                double v = xs[i], want = 75 * v * v + 10 * v;
                assertEquals(want, g[i], 1e-5 * (1 + Math.abs(want)), "dloss/dx[" + i + "]");
            }
        } finally {
            x.close();
        }
    }
}
