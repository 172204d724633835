package dev.lathe.core.device;

import static dev.lathe.core.device.DeviceParity.assertSameBits;
import static dev.lathe.core.device.DeviceParity.onEmulatedDevice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ActivationOps;
import dev.lathe.core.ops.AttentionOps;
import dev.lathe.core.ops.DropoutOps;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.EmbeddingOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.core.ops.NormOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.core.ops.RotaryOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every differentiable op on the emulated device: forward and backward give the CPU's bits, and outputs and
 * gradients live on the device. Inputs that require grad are F32 tensors; I32 inputs (ids, masks) never do.
 */
class DeviceOpsTest {
    private final Random rng = new Random(77);
    private final List<Tensor> owned = new ArrayList<>();

    @AfterEach
    void free() {
        owned.forEach(Tensor::close);
    }

    private Tensor randn(int... shape) {
        return keep(Tensor.randn(rng, 1f, shape));
    }

    private Tensor positive(int... shape) {
        return keep(Tensor.uniform(rng, 0.5f, 2f, shape));
    }

    private Tensor ints(int[] values, int... shape) {
        return keep(Tensor.ofInts(values, shape));
    }

    private Tensor ids(int bound, int... shape) {
        int[] v = new int[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(bound);
        return ints(v, shape);
    }

    private Tensor keep(Tensor t) {
        owned.add(t);
        return t;
    }

    /**
     * Runs {@code op} on copies of the host inputs on the CPU and on the device, back-propagates the same random
     * upstream gradient, and compares outputs and the gradients of every floating input bit for bit.
     */
    private void check(String name, Function<Tensor[], Tensor> op, Tensor... inputs) {
        float[] out;
        float[][] grads = new float[inputs.length][];
        long seed = rng.nextLong();
        try (var s = Scope.open()) {
            Tensor[] in = leaves(inputs, Device.CPU);
            Tensor y = op.apply(in);
            y.backward(Tensor.randn(new Random(seed), 1f, y.shape()));
            out = y.toFloatArray();
            for (int i = 0; i < in.length; i++) grads[i] = in[i].grad() == null ? null : in[i].grad().toFloatArray();
        }
        onEmulatedDevice(() -> {
            try (var s = Scope.open()) {
                Tensor[] in = leaves(inputs, Device.CUDA);
                Tensor y = op.apply(in);
                assertEquals(Device.CUDA, y.device(), name + ": output device");
                y.backward(Tensor.randn(new Random(seed), 1f, y.shape()).to(Device.CUDA));
                assertSameBits(out, y.toFloatArray(), name + " forward");
                for (int i = 0; i < in.length; i++) {
                    if (grads[i] == null) {
                        assertNull(in[i].grad(), name + ": input " + i + " gets no gradient");
                        continue;
                    }
                    assertEquals(Device.CUDA, in[i].grad().device(), name + ": gradient device of input " + i);
                    assertSameBits(grads[i], in[i].grad().toFloatArray(), name + " gradient of input " + i);
                }
            }
            return null;
        });
    }

    private static Tensor[] leaves(Tensor[] inputs, Device device) {
        Tensor[] in = new Tensor[inputs.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = inputs[i] == null ? null : inputs[i].to(device);
            if (in[i] != null && in[i].dtype().isFloating()) in[i].requiresGrad(true);
        }
        return in;
    }

    @Test
    void elementwiseOps() {
        check("add", in -> ElementwiseOps.add(in[0], in[1]), randn(3, 5), randn(5));
        check("sub", in -> ElementwiseOps.sub(in[0], in[1]), randn(3, 5), randn(3, 5));
        check("mul", in -> ElementwiseOps.mul(in[0], in[1]), randn(2, 3, 4), randn(4));
        check("div", in -> ElementwiseOps.div(in[0], in[1]), randn(3, 4), positive(3, 4));
        check("scale", in -> ElementwiseOps.scale(in[0], -0.75f), randn(4, 6));
        check("addScalar", in -> ElementwiseOps.addScalar(in[0], 1.5f), randn(4, 6));
        check("neg", in -> ElementwiseOps.neg(in[0]), randn(7));
        check("exp", in -> ElementwiseOps.exp(in[0]), randn(3, 7));
        check("log", in -> ElementwiseOps.log(in[0]), positive(3, 7));
        check("tanh", in -> ElementwiseOps.tanh(in[0]), randn(3, 7));
        check("sqrt", in -> ElementwiseOps.sqrt(in[0]), positive(3, 7));
        check("square", in -> ElementwiseOps.square(in[0]), randn(3, 7));
        check("sigmoid", in -> ElementwiseOps.sigmoid(in[0]), randn(3, 7));
    }

    @Test
    void activationsAndDropout() {
        check("gelu", in -> ActivationOps.gelu(in[0]), randn(4, 9));
        check("biasGelu", in -> ActivationOps.biasGelu(in[0], in[1]), randn(4, 9), randn(9)); // Backend's default
        check("silu", in -> ActivationOps.silu(in[0]), randn(4, 9));
        check("softmax", in -> ActivationOps.softmax(in[0]), randn(4, 9));
        check("dropout", in -> DropoutOps.dropout(in[0], 0.3f, 99L), randn(5, 8));
    }

    @Test
    void reductionsAndViews() {
        check("sum", in -> ReduceOps.sum(in[0]), randn(6, 5));
        check("mean", in -> ReduceOps.mean(in[0]), randn(6, 5));
        check("sumRows", in -> ReduceOps.sumRows(in[0], 5), randn(6, 5));
        check("view+slice", in -> in[0].view(4, 6).slice(1, 3), randn(2, 12));
        check("t+contiguous", in -> in[0].t().contiguous(), randn(3, 5));
    }

    @Test
    void gemmOps() {
        check("matmul", in -> MatmulOps.matmul(in[0], in[1]), randn(5, 7), randn(7, 3));
        check("matmul batched, shared b", in -> MatmulOps.matmul(in[0], in[1]), randn(2, 5, 7), randn(7, 3));
        check("matmul batched", in -> MatmulOps.matmul(in[0], in[1]), randn(2, 5, 7), randn(2, 7, 3));
        check("matmul transposed b", in -> MatmulOps.matmul(in[0], in[1].t()), randn(5, 7), randn(3, 7));
        check("linear", in -> MatmulOps.linear(in[0], in[1], in[2]), randn(2, 4, 6), randn(5, 6), randn(5));
        check("linear without bias", in -> MatmulOps.linear(in[0], in[1], null), randn(3, 6), randn(5, 6));
    }

    @Test
    void normsEmbeddingAndLoss() {
        check("layerNorm", in -> NormOps.layerNorm(in[0], in[1], in[2], 1e-5f), randn(3, 4, 8), randn(8), randn(8));
        check("rmsNorm", in -> NormOps.rmsNorm(in[0], in[1], 1e-6f), randn(5, 8), randn(8));
        check("embedding", in -> EmbeddingOps.embedding(in[0], in[1]), ids(11, 2, 5), randn(11, 6));
        Tensor targets = ints(new int[] {3, LossOps.IGNORE_INDEX, 0, 8, 8, 1}, 6);
        check("crossEntropy", in -> LossOps.crossEntropy(in[0], in[1], LossOps.IGNORE_INDEX), randn(6, 9), targets);
        check("crossEntropyPerRow", in -> LossOps.crossEntropyPerRow(in[0], in[1], LossOps.IGNORE_INDEX),
                randn(6, 9), targets);
        float[] angles = new float[6 * 4];
        for (int i = 0; i < angles.length; i++) angles[i] = (float) (0.3 * i);
        Tensor cos = keep(Tensor.of(angles, 6, 4)), sin = keep(Tensor.of(angles, 6, 4));
        try (var s = Scope.open()) { // turn the angles into cosines and sines on the host
            cos.copyFrom(ElementwiseOps.addScalar(ElementwiseOps.square(cos), -0.5f).toFloatArray());
            sin.copyFrom(ActivationOps.gelu(sin).toFloatArray());
        }
        check("rotary", in -> RotaryOps.rotary(in[0], in[1], in[2]), randn(6, 16), cos, sin);
    }

    @Test
    void attention() {
        Tensor keyMask = ints(new int[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, 2, 6);
        Tensor documents = ints(new int[] {0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1}, 2, 6);
        check("causalSelfAttention", in -> AttentionOps.causalSelfAttention(in[0], 2, in[1]), randn(2, 6, 24), keyMask);
        check("causalSelfAttention packed, dropout",
                in -> AttentionOps.causalSelfAttention(in[0], 2, in[1], in[2], 0.2f, 5L), randn(2, 6, 24), keyMask,
                documents);
        check("causalAttention grouped-query", in -> AttentionOps.causalAttention(in[0], in[1], in[2], 4, 2, in[3]),
                randn(2, 6, 16), randn(2, 6, 8), randn(2, 6, 8), keyMask);
    }

    @Test
    void hostTensorInADeviceOpFailsNamingBothDevices() {
        Tensor a = randn(3, 4), b = randn(4, 2), w = randn(5, 4);
        onEmulatedDevice(() -> {
            try (Tensor da = a.to(Device.CUDA)) {
                for (Runnable call : List.<Runnable>of(
                        () -> ElementwiseOps.add(da, a),
                        () -> MatmulOps.matmul(da, b),
                        () -> MatmulOps.linear(da, w, null),
                        () -> NormOps.rmsNorm(da, randn(4), 1e-6f),
                        () -> EmbeddingOps.embedding(ids(3, 2), da))) {
                    var e = assertThrows(IllegalArgumentException.class, call::run);
                    assertTrue(e.getMessage().contains("CPU") && e.getMessage().contains("CUDA"), e.getMessage());
                }
            }
            return null;
        });
    }
}
