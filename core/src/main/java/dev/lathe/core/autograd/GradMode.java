package dev.lathe.core.autograd;

/**
 * Whether ops record autograd nodes on this thread. Off for generation, reference-model passes and inside
 * backward itself: {@code try (var g = GradMode.off()) { ... }}.
 */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> Boolean.TRUE);

    private final boolean previous;

    private GradMode(boolean enabled) {
        previous = ENABLED.get();
        ENABLED.set(enabled);
    }

    /** Turns recording off until the returned handle is closed. */
    public static GradMode off() {
        return new GradMode(false);
    }

    /** Turns recording on until the returned handle is closed. */
    public static GradMode on() {
        return new GradMode(true);
    }

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    @Override
    public void close() {
        ENABLED.set(previous);
    }
}
