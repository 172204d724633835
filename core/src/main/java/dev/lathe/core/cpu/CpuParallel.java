package dev.lathe.core.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's thread pool: one ForkJoin pool sized to the cores (override with
 * {@code -Dlathe.threads=N}), and a range-splitting parallel for.
 */
public final class CpuParallel {
    private static final int THREADS = Integer.getInteger("lathe.threads",
            Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = new ForkJoinPool(THREADS);

    private CpuParallel() {}

    /** Body of a parallel loop over the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() {
        return THREADS;
    }

    public static ForkJoinPool pool() {
        return POOL;
    }

    /**
     * Runs body over [0, n) split into chunks of at least {@code grain} indices. Runs inline when the range is
     * one chunk, when there is one thread, or when already inside the pool (nested loops stay on their worker).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        if (n <= g || THREADS == 1 || insidePool()) {
            body.run(0, n);
            return;
        }
        // Aim for ~4 chunks a thread so uneven rows balance, but never below the grain.
        int chunk = Math.max(g, (n + THREADS * 4 - 1) / (THREADS * 4));
        POOL.invoke(new Split(body, 0, n, chunk));
    }

    private static boolean insidePool() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL;
    }

    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int from, to, chunk;

        Split(RangeBody body, int from, int to, int chunk) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.chunk = chunk;
        }

        @Override
        protected void compute() {
            if (to - from <= chunk) {
                body.run(from, to);
                return;
            }
            int mid = from + (to - from) / 2;
            invokeAll(new Split(body, from, mid, chunk), new Split(body, mid, to, chunk));
        }
    }
}
