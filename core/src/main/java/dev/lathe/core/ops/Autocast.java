package dev.lathe.core.ops;

/**
 * BF16 mixed precision for GEMMs (PyTorch's autocast to bfloat16): while on, {@link MatmulOps#matmul} and
 * {@link MatmulOps#linear} round both operands to BF16 (a BF16 copy per call; F32 master weights keep receiving
 * F32 gradients) and multiply with F32 accumulation into an F32 output; their backward GEMMs round their operands
 * the same way. Off by default; {@link #setDefault} sets the process-wide default and {@link #bf16} / {@link #off}
 * override it on this thread until closed:
 *
 * <pre>{@code
 * try (var a = Autocast.bf16()) {
 *     Tensor loss = model.loss(batch);   // GEMMs on BF16 operands
 *     loss.backward();                    // so are their gradients' GEMMs (fixed when the op was recorded)
 * }
 * }</pre>
 */
public final class Autocast implements AutoCloseable {
    private static volatile boolean defaultBf16;
    private static final ThreadLocal<Boolean> SCOPED = new ThreadLocal<>(); // null: the default

    private final Boolean previous;
    private boolean closed;

    private Autocast(boolean on) {
        previous = SCOPED.get();
        SCOPED.set(on);
    }

    /** BF16 GEMM operands on this thread until closed. */
    public static Autocast bf16() {
        return new Autocast(true);
    }

    /** F32 GEMM operands on this thread until closed, whatever the default. */
    public static Autocast off() {
        return new Autocast(false);
    }

    /** The process-wide setting for threads with no open {@link #bf16} / {@link #off}. */
    public static void setDefault(boolean bf16) {
        defaultBf16 = bf16;
    }

    /** Whether GEMMs started now on this thread round their operands to BF16. */
    public static boolean isBf16() {
        Boolean scoped = SCOPED.get();
        return scoped != null ? scoped : defaultBf16;
    }

    /** Restores the setting that was in force when this was opened. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (previous == null) SCOPED.remove();
        else SCOPED.set(previous);
    }
}
