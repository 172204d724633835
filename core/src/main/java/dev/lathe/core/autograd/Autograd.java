package dev.lathe.core.autograd;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backends;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation over the recorded nodes. Gradients of intermediate tensors live in the current
 * scope; gradients of leaves accumulate into {@link Tensor#grad()}, which the leaf owns.
 */
public final class Autograd {
    private Autograd() {}

    /** Propagates {@code gradient} (ones for a scalar when null) from {@code root} to every leaf that requires grad. */
    public static void backward(Tensor root, Tensor gradient) {
        if (!root.requiresGrad()) throw new IllegalStateException("backward() on a tensor that does not require grad");
        try (var noGrad = GradMode.off()) {
            Tensor seed = gradient != null ? gradient : ones(root);
            if (gradient != null && !Arrays.equals(gradient.shape(), root.shape())) {
                throw new IllegalArgumentException("gradient shape " + Arrays.toString(gradient.shape())
                        + " differs from " + Arrays.toString(root.shape()));
            }
            Node rootNode = root.gradFn();
            if (rootNode == null) {
                accumulateLeaf(root, seed);
                return;
            }
            Map<Node, Tensor> pending = new IdentityHashMap<>();
            pending.put(rootNode, seed);
            for (Node node : reverseOrder(rootNode)) {
                Tensor g = pending.remove(node);
                if (g == null) continue;
                Tensor[] inputs = node.inputs();
                Tensor[] grads = node.apply(g);
                for (int i = 0; i < inputs.length; i++) {
                    if (!node.needs()[i] || grads[i] == null) continue;
                    Tensor input = inputs[i];
                    checkShape(node, input, grads[i]);
                    if (input.gradFn() != null) {
                        pending.merge(input.gradFn(), grads[i], Autograd::sum);
                    } else {
                        accumulateLeaf(input, grads[i]);
                    }
                }
            }
        }
    }

    /** Nodes reachable from {@code root}, newest first: a valid order to run backward functions in. */
    private static List<Node> reverseOrder(Node root) {
        List<Node> nodes = new ArrayList<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(root);
        seen.put(root, true);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            nodes.add(n);
            for (Tensor in : n.inputs()) {
                Node p = in == null ? null : in.gradFn();
                if (p != null && seen.put(p, true) == null) stack.push(p);
            }
        }
        nodes.sort((a, b) -> Long.compare(b.sequence(), a.sequence()));
        return nodes;
    }

    private static void accumulateLeaf(Tensor leaf, Tensor g) {
        if (!leaf.requiresGrad()) return;
        Tensor existing = leaf.grad();
        if (existing == null) {
            Tensor src = g.contiguous();
            Tensor copy = Scope.escape(() -> Tensor.empty(src.dtype(), src.shape()));
            Backends.of(src).copy(src, copy);
            leaf.setGrad(copy);
        } else {
            Backends.of(g).axpy(1f, g.contiguous(), existing);
        }
    }

    private static Tensor sum(Tensor a, Tensor b) {
        Tensor out = Tensor.empty(a.dtype(), a.shape());
        Backends.of(a).copy(a.contiguous(), out);
        Backends.of(b).axpy(1f, b.contiguous(), out);
        return out;
    }

    private static Tensor ones(Tensor root) {
        if (root.numel() != 1) {
            throw new IllegalStateException("backward() without a gradient needs a scalar, got " + root);
        }
        return Tensor.full(1f, root.shape());
    }

    private static void checkShape(Node node, Tensor input, Tensor grad) {
        if (!Arrays.equals(input.shape(), grad.shape())) {
            throw new IllegalStateException(node + " produced a gradient of shape " + Arrays.toString(grad.shape())
                    + " for an input of shape " + Arrays.toString(input.shape()));
        }
    }
}
