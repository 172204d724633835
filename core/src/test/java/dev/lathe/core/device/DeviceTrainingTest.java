package dev.lathe.core.device;

import static dev.lathe.core.device.DeviceParity.assertSameBits;
import static dev.lathe.core.device.DeviceParity.onEmulatedDevice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.TransformerBlock;
import dev.lathe.core.ops.AttentionOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.core.optim.GradClip;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Module.to, AdamW with GradClip, and the KV cache on the emulated device: the same bits as on the CPU, state
 * allocated on the parameters' device.
 */
class DeviceTrainingTest {
    private static final int DIM = 16, HEADS = 2, VOCAB = 12;

    /** A transformer block and an output projection, from a fixed seed. */
    private static TransformerBlock block() {
        return new TransformerBlock(DIM, HEADS, 1e-5f, new Random(3));
    }

    /** Parameters after {@code steps} clipped AdamW steps on a next-token loss, by name, and the last grad norm. */
    private static Map<String, float[]> train(Device device, int steps, double[] lastNorm) {
        Random data = new Random(11);
        try (TransformerBlock model = block(); Tensor head = Tensor.randn(new Random(5), 0.2f, VOCAB, DIM)) {
            head.requiresGrad(true);
            model.to(device);
            head.relocate(device);
            List<Tensor> params = new ArrayList<>(model.parameters());
            params.add(head);
            try (AdamW opt = new AdamW(params, AdamWConfig.pytorchDefaults().withLr(1e-2f))) {
                for (int s = 0; s < steps; s++) {
                    try (var step = Scope.open()) {
                        Tensor x = Tensor.randn(data, 1f, 2, 5, DIM).to(device);
                        int[] t = new int[10];
                        for (int i = 0; i < t.length; i++) t[i] = data.nextInt(VOCAB);
                        Tensor targets = Tensor.ofInts(t, 10).to(device);
                        Tensor logits = MatmulOps.matmul(model.forward(x, null).view(10, DIM), head.t());
                        LossOps.crossEntropy(logits, targets, LossOps.IGNORE_INDEX).backward();
                        lastNorm[0] = GradClip.clipGradNorm(params, 0.5);
                        opt.step();
                        for (Tensor p : params) {
                            assertEquals(device, p.grad().device());
                            assertEquals(device, opt.moments(p).expAvg().device());
                            p.zeroGrad();
                        }
                    }
                }
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.namedParameters().forEach((name, p) -> out.put(name, p.toFloatArray()));
            out.put("head", head.toFloatArray());
            return out;
        }
    }

    @Test
    void clippedAdamWStepsOnTheDeviceEqualTheCpu() {
        double[] cpuNorm = new double[1], deviceNorm = new double[1];
        Map<String, float[]> cpu = train(Device.CPU, 3, cpuNorm);
        Map<String, float[]> device = onEmulatedDevice(() -> train(Device.CUDA, 3, deviceNorm));
        assertTrue(cpuNorm[0] > 0.5, "the test must clip: norm " + cpuNorm[0]);
        assertEquals(cpuNorm[0], deviceNorm[0]);
        assertEquals(cpu.keySet(), device.keySet());
        cpu.forEach((name, v) -> assertSameBits(v, device.get(name), name));
    }

    @Test
    void moduleToMovesParametersInPlaceKeepingNamesAndFlags() {
        onEmulatedDevice(() -> {
            try (TransformerBlock model = block()) {
                Map<String, Tensor> before = model.namedParameters();
                Map<String, float[]> values = new LinkedHashMap<>();
                before.forEach((name, p) -> values.put(name, p.toFloatArray()));
                model.to(Device.CUDA);
                Map<String, Tensor> after = model.namedParameters();
                assertEquals(before.keySet(), after.keySet());
                before.forEach((name, p) -> {
                    assertSame(p, after.get(name), name);
                    assertEquals(Device.CUDA, p.device(), name);
                    assertTrue(p.requiresGrad(), name);
                    assertSameBits(values.get(name), p.toFloatArray(), name);
                });
                model.to(Device.CPU);
                before.forEach((name, p) -> {
                    assertEquals(Device.CPU, p.device(), name);
                    assertSameBits(values.get(name), p.toFloatArray(), name);
                });
            }
            return null;
        });
    }

    /** Prefill of 3 positions then 2 decode steps through packed q|k|v and separate k, v: outputs per step. */
    private static List<float[]> decode(Device device, boolean packed) {
        Random rng = new Random(21);
        int b = 2, kvHeads = packed ? HEADS : 1, d = DIM / HEADS;
        List<float[]> outs = new ArrayList<>();
        try (KvCache cache = new KvCache(device, 1, b, 5, kvHeads, d); var s = Scope.open()) {
            Tensor mask = Tensor.ofInts(new int[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1}, b, 5).to(device);
            for (int tq : new int[] {3, 1, 1}) {
                Tensor out;
                if (packed) {
                    out = AttentionOps.cachedSelfAttention(Tensor.randn(rng, 1f, b, tq, 3 * DIM).to(device), cache, 0,
                            HEADS, mask);
                } else {
                    out = AttentionOps.cachedAttention(Tensor.randn(rng, 1f, b, tq, DIM).to(device),
                            Tensor.randn(rng, 1f, b, tq, d).to(device), Tensor.randn(rng, 1f, b, tq, d).to(device),
                            cache, 0, HEADS, mask);
                }
                cache.advance(tq);
                assertEquals(device, out.device());
                outs.add(out.toFloatArray());
            }
        }
        return outs;
    }

    @Test
    void cachedAttentionOnTheDeviceEqualsTheCpu() {
        for (boolean packed : new boolean[] {true, false}) {
            List<float[]> cpu = decode(Device.CPU, packed);
            List<float[]> device = onEmulatedDevice(() -> decode(Device.CUDA, packed));
            for (int i = 0; i < cpu.size(); i++) assertSameBits(cpu.get(i), device.get(i), "step " + i + " packed " + packed);
        }
    }
}
