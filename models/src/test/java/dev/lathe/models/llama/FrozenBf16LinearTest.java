package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.core.ops.ReduceOps;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A frozen Linear re-stored as BF16 computes what F32 linear does with the BF16-rounded weight, forward and dx. */
class FrozenBf16LinearTest {
    @Test
    void matchesF32LinearOfTheRoundedWeight() {
        Random rng = new Random(3);
        LlamaLinear layer = new LlamaLinear(7, 5, true, LlamaInit.random(rng));
        layer.bias().setFloat(2, 0.5f);
        layer.parameters().forEach(p -> p.requiresGrad(false));
        layer.storeFrozenWeightAsBf16();
        assertEquals(DType.BF16, layer.weight().dtype());
        Tensor x = Tensor.randn(rng, 1f, 2, 3, 7).requiresGrad(true);
        Tensor x2 = Tensor.of(x.toFloatArray(), 2, 3, 7).requiresGrad(true);
        Tensor g = Tensor.randn(rng, 1f, 2, 3, 5);
        try (var s = Scope.open()) {
            Tensor rounded = Tensor.empty(DType.F32, 5, 7);
            dev.lathe.core.backend.Backends.of(rounded).copy(layer.weight(), rounded);
            Tensor got = layer.forward(x), want = MatmulOps.linear(x2, rounded, layer.bias());
            assertArrayEquals(want.toFloatArray(), got.toFloatArray(), 1e-6f);
            ReduceOps.sum(ElementwiseOps.mul(got, g)).backward();
            ReduceOps.sum(ElementwiseOps.mul(want, g)).backward();
            assertArrayEquals(x2.grad().toFloatArray(), x.grad().toFloatArray(), 1e-6f);
        }
        x.close();
        x2.close();
        g.close();
        layer.close();
    }
}
