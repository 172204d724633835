package dev.lathe.core.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.core.ops.ReduceOps;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leaves are announced once, as soon as their gradient is final, newest-used first. */
class LeafGradientReadyTest {
    @Test
    void eachLeafIsAnnouncedOnceWithItsFinalGradient() {
        try (var s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            // w1 is used twice (first layer and a late skip term), w2 once in between, w3 last.
            Tensor w1 = Scope.escape(() -> Tensor.of(new float[] {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f, 0.9f}, 3, 3)).requiresGrad(true);
            Tensor w2 = Scope.escape(() -> Tensor.of(new float[] {1, -1, 0.5f, 2, 0, 1, -0.5f, 1, 1}, 3, 3)).requiresGrad(true);
            Tensor w3 = Scope.escape(() -> Tensor.of(new float[] {0.3f, 0.2f, 0.1f}, 1, 3)).requiresGrad(true);
            try {
                Tensor h = MatmulOps.matmul(x, w1);
                Tensor h2 = ElementwiseOps.tanh(MatmulOps.matmul(h, w2));
                Tensor skip = MatmulOps.matmul(h2, w1);
                Tensor loss = ReduceOps.sum(ElementwiseOps.mul(ElementwiseOps.add(h2, skip), w3));

                List<Tensor> announced = new ArrayList<>();
                Map<Tensor, float[]> atAnnouncement = new IdentityHashMap<>();
                try (Autograd.Listening listening = Autograd.onLeafGradientReady(leaf -> {
                    announced.add(leaf);
                    atAnnouncement.put(leaf, leaf.grad().toFloatArray());
                })) {
                    loss.backward();
                }
                assertEquals(List.of(w3, w2, w1), announced);
                for (Tensor w : List.of(w1, w2, w3)) assertArrayEquals(w.grad().toFloatArray(), atAnnouncement.get(w));

                announced.clear();
                for (Tensor w : List.of(w1, w2, w3)) w.zeroGrad();
                ReduceOps.sum(MatmulOps.matmul(x, w1)).backward(); // no listener: nothing announced
                assertEquals(List.of(), announced);
            } finally {
                for (Tensor w : List.of(w1, w2, w3)) w.close();
            }
        }
    }
}
