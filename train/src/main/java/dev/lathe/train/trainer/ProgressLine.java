package dev.lathe.train.trainer;

import java.io.PrintStream;

/**
 * The live progress line on stderr: step, loss, tokens/s and ETA. On a terminal it is rewritten in place every
 * step; otherwise (a log file, a test) a line is written at most every few seconds, plus the first and last.
 */
final class ProgressLine {
    private static final long QUIET_NANOS = 5_000_000_000L;

    private final PrintStream err;
    private final boolean terminal;
    private final long first;
    private final long total;
    private final long start = System.nanoTime();
    private long lastPrinted = Long.MIN_VALUE;

    /** @param done steps already taken before this process started (a resumed run) */
    ProgressLine(PrintStream err, boolean terminal, long done, long total) {
        this.err = err;
        this.terminal = terminal;
        this.first = done + 1;
        this.total = total;
    }

    void update(long step, double loss, double tokensPerSecond) {
        long now = System.nanoTime();
        boolean last = step == total;
        if (!terminal && !last && step != first && now - lastPrinted < QUIET_NANOS) return;
        lastPrinted = now;
        double elapsed = (now - start) / 1e9;
        long eta = Math.round(elapsed / (step - first + 1) * (total - step));
        String line = String.format("step %d/%d  loss %.4f  %,.0f tok/s  eta %d:%02d", step, total, loss,
                tokensPerSecond, eta / 60, eta % 60);
        if (terminal) err.print("\r" + line + (last ? "\n" : ""));
        else err.println(line);
        err.flush();
    }
}
