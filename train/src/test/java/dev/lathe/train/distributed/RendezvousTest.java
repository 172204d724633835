package dev.lathe.train.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The torchrun-style bootstrap: ranks as threads and as separate processes receive rank 0's 128 bytes intact and
 * meet at barriers; a missing rank 0, a missing rank, a duplicate rank and disagreeing WORLD_SIZEs end in errors
 * naming the address, the port or the ranks.
 */
class RendezvousTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void threadRanksReceiveRankZerosBytesAndMeetAtTheBarrier(int size) throws Exception {
        int port = freePort();
        byte[] id = RendezvousMain.uniqueId(size);
        AtomicInteger entered = new AtomicInteger();
        List<Future<byte[]>> ranks = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            for (int r = size - 1; r >= 0; r--) { // rank 0 last: the others must retry until it listens
                int rank = r;
                ranks.add(pool.submit(() -> {
                    try (Rendezvous rv = Rendezvous.join(env(rank, size, port), TIMEOUT)) {
                        byte[] got = rv.broadcast(rank == 0 ? id : null);
                        if (rank == 1) Thread.sleep(200); // the others wait for the late one
                        entered.incrementAndGet();
                        rv.barrier();
                        if (entered.get() != size) throw new AssertionError("rank " + rank + " left the barrier early");
                        rv.barrier();
                        return got;
                    }
                }));
                if (r == 1) Thread.sleep(300);
            }
            for (Future<byte[]> f : ranks) assertArrayEquals(id, f.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void processRanksReceiveRankZerosBytesIntact() throws Exception {
        int size = 3, port = freePort();
        List<Process> processes = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), RendezvousMain.class.getName())
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().putAll(java.util.Map.of("RANK", Integer.toString(r), "WORLD_SIZE", Integer.toString(size),
                    "MASTER_ADDR", "localhost", "MASTER_PORT", Integer.toString(port)));
            processes.add(pb.start());
        }
        String want = HexFormat.of().formatHex(RendezvousMain.uniqueId(size));
        for (int r = 0; r < size; r++) {
            Process p = processes.get(r);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "rank " + r + " did not finish");
            assertEquals(0, p.exitValue(), "rank " + r);
            assertEquals(want + " after barrier", out, "rank " + r);
        }
    }

    @Test
    void aRankWithoutRankZeroTimesOutNamingTheAddress() {
        int port = freePort();
        var e = assertThrows(IllegalStateException.class,
                () -> Rendezvous.join(env(1, 2, port), Duration.ofMillis(500)));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("within 0.5 s"), e.getMessage());
    }

    @Test
    void rankZeroTimesOutNamingTheMissingRanks() throws Exception {
        int port = freePort();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> rank1 = pool.submit(() -> Rendezvous.join(env(1, 3, port), TIMEOUT).close());
            var e = assertThrows(IllegalStateException.class,
                    () -> Rendezvous.join(env(0, 3, port), Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("2 of 3 ranks joined on port " + port) && e.getMessage().contains("missing ranks [2]"),
                    e.getMessage());
            assertTrue(rootMessage(rank1).contains("missing ranks [2]"), "rank 1 hears why: " + rootMessage(rank1));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoProcessesWithTheSameRankAreRefused() throws Exception {
        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> a = pool.submit(() -> Rendezvous.join(env(1, 3, port), TIMEOUT).close());
            Future<?> b = pool.submit(() -> Rendezvous.join(env(1, 3, port), TIMEOUT).close());
            var e = assertThrows(IllegalStateException.class, () -> Rendezvous.join(env(0, 3, port), TIMEOUT));
            assertTrue(e.getMessage().contains("two processes joined as rank 1"), e.getMessage());
            assertTrue(rootMessage(a).contains("two processes joined as rank 1"), rootMessage(a));
            assertTrue(rootMessage(b).contains("two processes joined as rank 1"), rootMessage(b));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void ranksThatDisagreeOnTheWorldSizeAreRefused() throws Exception {
        int port = freePort();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> rank2 = pool.submit(() -> Rendezvous.join(env(2, 3, port), TIMEOUT).close());
            var e = assertThrows(IllegalStateException.class, () -> Rendezvous.join(env(0, 2, port), TIMEOUT));
            assertTrue(e.getMessage().contains("rank 2") && e.getMessage().contains("WORLD_SIZE=3, rank 0 has 2"), e.getMessage());
            assertTrue(rootMessage(rank2).contains("WORLD_SIZE=3, rank 0 has 2"), rootMessage(rank2));
        } finally {
            pool.shutdownNow();
        }
    }

    private static LaunchEnv env(int rank, int size, int port) {
        return new LaunchEnv(rank, size, "127.0.0.1", port, -1);
    }

    private static String rootMessage(Future<?> f) throws InterruptedException, java.util.concurrent.TimeoutException {
        var e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
        return e.getCause().getMessage();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
