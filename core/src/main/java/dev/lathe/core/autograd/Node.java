package dev.lathe.core.autograd;

import dev.lathe.core.Tensor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One recorded op: its inputs and a backward function closing over exactly the tensors it needs. The sequence
 * number orders nodes as they were recorded, so walking them from newest to oldest is a reverse topological
 * order (the tape).
 */
public final class Node {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /**
     * Gradients of the inputs given the gradient of the output. Returns one entry per input, null where
     * {@code needs[i]} is false or the input gets no gradient.
     */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput, boolean[] needs);
    }

    private final long sequence = SEQUENCE.incrementAndGet();
    private final String name;
    private final Tensor[] inputs;
    private final boolean[] needs;
    private final Backward backward;

    private Node(String name, Tensor[] inputs, boolean[] needs, Backward backward) {
        this.name = name;
        this.inputs = inputs;
        this.needs = needs;
        this.backward = backward;
    }

    /**
     * Records {@code output = name(inputs)} if grad mode is on and some input requires grad; otherwise does
     * nothing. Returns {@code output}.
     */
    public static Tensor record(Tensor output, String name, Backward backward, Tensor... inputs) {
        if (!GradMode.isEnabled()) return output;
        boolean[] needs = new boolean[inputs.length];
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            needs[i] = inputs[i] != null && inputs[i].requiresGrad();
            any |= needs[i];
        }
        if (any) output.setGradFn(new Node(name, inputs.clone(), needs, backward));
        return output;
    }

    public String name() {
        return name;
    }

    long sequence() {
        return sequence;
    }

    Tensor[] inputs() {
        return inputs;
    }

    boolean[] needs() {
        return needs;
    }

    Tensor[] apply(Tensor gradOutput) {
        return backward.apply(gradOutput, needs);
    }

    @Override
    public String toString() {
        return name + "#" + sequence;
    }
}
