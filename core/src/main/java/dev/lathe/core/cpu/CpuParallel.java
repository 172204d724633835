package dev.lathe.core.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The CPU backend's threads and its parallel for: the calling thread plus {@code threads() - 1} resident workers
 * (override the count with {@code -Dlathe.threads=N}), OpenMP-style. Between loops a worker spins for a while
 * ({@code -Dlathe.spinMicros}, default 2000) before it parks, so the next loop of a training step starts on
 * every core at once: with parked threads (a ForkJoin pool was measured) a 2-thread GEMM of a few ms often ran
 * entirely on one thread (the first thread took the forked half back before the second had woken on the
 * virtual CPU), which showed as runs of iterations at exactly twice the time.
 */
public final class CpuParallel {
    private static final int THREADS = Math.max(1, Integer.getInteger("lathe.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final long SPIN_NANOS = Long.getLong("lathe.spinMicros", 2000) * 1000;
    private static final Team TEAM = THREADS > 1 ? new Team(THREADS - 1) : null;

    private CpuParallel() {}

    /** Body of a parallel loop over the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs body over [0, n) in equal chunks of about {@code grain} indices or more, handed out to the threads as
     * they ask (up to 4 chunks a thread, so uneven rows and a slower core balance). Runs inline when the range is one
     * chunk, when there is one thread, inside another loop's body (nested loops stay on their thread), or while
     * another thread's loop holds the workers.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        if (n <= g || TEAM == null) {
            body.run(0, n);
            return;
        }
        // Equal chunks: n / grain of them, at least one a thread (then a chunk may be down to half the grain)
        // and at most four a thread.
        int pieces = Math.min(THREADS * 4, Math.max(THREADS, n / g));
        if (!TEAM.tryRun(n, (n + pieces - 1) / pieces, body)) body.run(0, n);
    }

    /**
     * Runs task(0) .. task(count - 1), each index claimed by whichever thread is free next: for tasks that are each
     * already sized to amortise their claim (a GEMM panel), where forRange's chunking would only coarsen the balance.
     * Inline under the same conditions as forRange.
     */
    public static void forEach(int count, IntConsumer task) {
        RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) task.accept(i);
        };
        if (count <= 0) return;
        if (count == 1 || TEAM == null || !TEAM.tryRun(count, 1, body)) body.run(0, count);
    }

    /**
     * Makes workers that are spinning after a loop park now instead of at the end of their spin: for code that is
     * about to run on other threads (a native BLAS's own pool) and needs the cores.
     */
    public static void parkWorkers() {
        if (TEAM != null) TEAM.parkEpoch++;
    }

    /** One loop: chunks are claimed from {@code next}; {@code done} counts finished indices. */
    private static final class Job {
        final int n, chunk;
        final RangeBody body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int n, int chunk, RangeBody body) {
            this.n = n;
            this.chunk = chunk;
            this.body = body;
        }

        void work() {
            for (int from; (from = next.getAndAdd(chunk)) < n; ) {
                int to = Math.min(n, from + chunk);
                try {
                    if (failure.get() == null) body.run(from, to);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.addAndGet(to - from);
                }
            }
        }
    }

    private static final class Team {
        private final ReentrantLock lock = new ReentrantLock();
        private final Worker[] workers;
        private volatile Job job;
        /** Bumped by parkWorkers(); a spinning worker that sees it change parks at once. */
        private volatile int parkEpoch;

        Team(int size) {
            workers = new Worker[size];
            for (int i = 0; i < size; i++) {
                workers[i] = new Worker(this, i + 1);
                workers[i].start();
            }
        }

        /** Runs the loop with the workers, the caller taking chunks too; false if it cannot have them now. */
        boolean tryRun(int n, int chunk, RangeBody body) {
            if (Thread.currentThread() instanceof Worker || lock.isHeldByCurrentThread() || !lock.tryLock()) {
                return false;
            }
            try {
                Job j = new Job(n, chunk, body);
                job = j;
                for (Worker w : workers) {
                    if (w.parked) LockSupport.unpark(w);
                }
                j.work();
                // Chunks still running on workers: they are at most one chunk each, so spin (this thread has
                // nothing else to do), yielding after a while in case a worker was descheduled.
                long start = System.nanoTime();
                while (j.done.get() < n) {
                    if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                    else Thread.yield();
                }
                job = null;
                Throwable t = j.failure.get();
                if (t instanceof RuntimeException r) throw r;
                if (t instanceof Error e) throw e;
                if (t != null) throw new IllegalStateException(t);
                return true;
            } finally {
                lock.unlock();
            }
        }
    }

    private static final class Worker extends Thread {
        private final Team team;
        volatile boolean parked;

        Worker(Team team, int index) {
            super("lathe-cpu-" + index);
            this.team = team;
            setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            while (true) {
                Job j = team.job;
                if (j != null && j != last) {
                    last = j;
                    j.work();
                    continue;
                }
                long start = System.nanoTime();
                int epoch = team.parkEpoch;
                while ((j = team.job) == null || j == last) {
                    if (System.nanoTime() - start < SPIN_NANOS && team.parkEpoch == epoch) {
                        Thread.onSpinWait();
                        continue;
                    }
                    // Publish "parked" before the last look at the job: the submitter writes the job before it
                    // reads "parked", so one of the two sees the other and no wake-up is lost.
                    parked = true;
                    j = team.job;
                    if (j == null || j == last) LockSupport.park(this);
                    parked = false;
                    start = System.nanoTime();
                    epoch = team.parkEpoch;
                }
            }
        }
    }
}
