package dev.lathe.train.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.EmulatedDeviceBackend;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Gradient buckets of device parameters, on the emulated device (whose ops refuse host tensors and whose tensors
 * the host cannot read): buffers are allocated on the device and gradients go in and out by device ops; with one
 * rank the sum is the gradient itself, so each gradient comes back as {@code scale} times itself.
 */
class GradientBucketsDeviceTest {
    @Test
    void deviceGradientsAreBucketedScaledAndWrittenBackOnTheDevice() {
        var emulated = new EmulatedDeviceBackend();
        Backend prev = Backends.install(emulated);
        try {
            Random rng = new Random(3);
            float[][] grads = {values(rng, 12), values(rng, 20), null, values(rng, 6)};
            int[][] shapes = {{3, 4}, {20}, {5}, {2, 3}};
            List<Tensor> params = new java.util.ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                Tensor p = Tensor.zeros(Device.CUDA, DType.F32, shapes[i]);
                if (grads[i] != null) p.setGrad(Tensor.of(grads[i], shapes[i]).to(Device.CUDA));
                params.add(p);
            }
            long before = emulated.liveBytes();
            // 64-byte buckets: {p3 (6), p2 (5)}, {p1 (20)}, {p0 (12)} in reverse registration order
            try (var buckets = new GradientBuckets(SingleProcess.INSTANCE, params, 64)) {
                assertEquals(3, buckets.count());
                assertEquals(4L * (12 + 20 + 5 + 6), emulated.liveBytes() - before, "bucket buffers on the device");
                buckets.finish(0.25);
            }
            for (int i = 0; i < shapes.length; i++) {
                Tensor g = params.get(i).grad();
                if (grads[i] == null) {
                    assertNull(g, "a parameter no rank gave a gradient keeps none");
                    continue;
                }
                assertEquals(Device.CUDA, g.device());
                float[] want = new float[grads[i].length];
                for (int j = 0; j < want.length; j++) want[j] = (float) (grads[i][j] * 0.25);
                assertArrayEquals(want, g.toFloatArray(), "parameter " + i);
            }
            params.forEach(Tensor::close);
            assertEquals(0, emulated.liveBytes(), "buffers, views and gradients all freed");
        } finally {
            Backends.install(prev);
        }
    }

    private static float[] values(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return v;
    }
}
