package dev.lathe.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Lifetime of step temporaries: every tensor created on this thread while a scope is open belongs to the
 * innermost open scope and is closed with it.
 *
 * <pre>{@code
 * try (var step = Scope.open()) {
 *     Tensor loss = model.loss(batch);   // activations and saved tensors: all in `step`
 *     loss.backward();                    // intermediate grads are freed as it goes; parameter .grad tensors
 *                                         // are owned by their parameters
 *     optimizer.step();
 * }                                       // everything the step allocated is freed here
 * }</pre>
 *
 * Tensors that must outlive the scope are created with {@link #escape} or handed over with {@link #detach}.
 * Tensors created with no scope open are owned by the caller, who closes them.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Scope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private Scope() {}

    /** Opens a scope nested in the current one (if any). */
    public static Scope open() {
        Scope s = new Scope();
        STACK.get().push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    static Scope current() {
        return STACK.get().peek();
    }

    /** Runs {@code body} with no scope open: what it creates belongs to the caller (parameters, grads, optimizer state). */
    public static <T> T escape(Supplier<T> body) {
        ArrayDeque<Scope> saved = STACK.get();
        STACK.set(new ArrayDeque<>());
        try {
            return body.get();
        } finally {
            STACK.set(saved);
        }
    }

    void register(Tensor t) {
        owned.add(t);
    }

    /** Takes {@code t} out of this scope: the caller now owns it and must close it. */
    public Tensor detach(Tensor t) {
        if (!release(t)) throw new IllegalArgumentException("tensor is not owned by this scope");
        return t;
    }

    /**
     * Takes {@code t} out of whichever of this thread's open scopes owns it, innermost first, and returns whether one
     * did; the caller then owns it.
     */
    public static boolean detachFromOpen(Tensor t) {
        for (Scope s : STACK.get()) {
            if (s.release(t)) return true;
        }
        return false;
    }

    /** Takes {@code t} out of this scope if it owns it, and returns whether it did; the caller then owns it. */
    public boolean detachIfOwned(Tensor t) {
        return release(t);
    }

    /**
     * Removes {@code t} from the owned tensors if it is there. The search starts at the newest, so a just-made one
     * (autograd adopting a gradient) is found at once.
     */
    private boolean release(Tensor t) {
        for (int i = owned.size() - 1; i >= 0; i--) {
            if (owned.get(i) == t) {
                owned.remove(i);
                return true;
            }
        }
        return false;
    }

    /** Number of tensors this scope will close. */
    public int size() {
        return owned.size();
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) throw new IllegalStateException("scope closed on another thread");
        ArrayDeque<Scope> stack = STACK.get();
        if (stack.peek() != this) throw new IllegalStateException("scopes must close innermost first");
        stack.pop();
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
    }
}
