package dev.lathe.train.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The bootstrap of a torchrun-style launch, as torch's TCPStore: rank 0 listens on {@code MASTER_PORT}, every other
 * rank connects to {@code MASTER_ADDR:MASTER_PORT} (retrying until the timeout, since rank 0 may start last) and
 * says who it is; once all {@code WORLD_SIZE - 1} have joined, rank 0 can send bytes to all (NCCL's unique id) and
 * the ranks can meet at a barrier. A star over TCP for a few small messages, not a collective for training data.
 *
 * <p>Wire format (big-endian): hello {@code int MAGIC, int worldSize, int rank}; rank 0's answer
 * {@code boolean ok, UTF message}; broadcast {@code int length, bytes}; barrier one byte each way.
 */
final class Rendezvous implements AutoCloseable {
    private static final int MAGIC = 0x4C52_4456; // "LRDV"
    private static final byte BARRIER = 'B';

    private final int rank;
    private final List<Socket> sockets; // rank 0: ranks 1..size-1 in order; others: the one to rank 0

    private Rendezvous(int rank, List<Socket> sockets) {
        this.rank = rank;
        this.sockets = sockets;
    }

    /**
     * Joins the launch {@code env} describes, waiting at most {@code timeout} for every rank (and then for each
     * later message). Failures are {@link IllegalStateException}s naming the address, the port or the ranks.
     */
    static Rendezvous join(LaunchEnv env, Duration timeout) {
        if (env.worldSize() == 1) return new Rendezvous(0, List.of());
        return env.rank() == 0 ? listen(env, timeout) : connect(env, timeout);
    }

    /** Rank 0's {@code payload} (the other ranks pass null) on every rank. */
    byte[] broadcast(byte[] payload) {
        try {
            if (rank == 0) {
                for (Socket s : sockets) {
                    var out = new DataOutputStream(s.getOutputStream());
                    out.writeInt(payload.length);
                    out.write(payload);
                    out.flush();
                }
                return payload.clone();
            }
            var in = new DataInputStream(sockets.getFirst().getInputStream());
            byte[] received = new byte[in.readInt()];
            in.readFully(received);
            return received;
        } catch (IOException e) {
            throw failure("broadcast", e);
        }
    }

    /** Returns once every rank has called it. */
    void barrier() {
        try {
            if (rank == 0) {
                for (Socket s : sockets) expectBarrier(s);
                for (Socket s : sockets) s.getOutputStream().write(BARRIER);
            } else {
                Socket s = sockets.getFirst();
                s.getOutputStream().write(BARRIER);
                expectBarrier(s);
            }
        } catch (IOException e) {
            throw failure("barrier", e);
        }
    }

    @Override
    public void close() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a connection that failed already
            }
        }
    }

    private static void expectBarrier(Socket s) throws IOException {
        int b = s.getInputStream().read();
        if (b != BARRIER) throw b < 0 ? new EOFException() : new IOException("unexpected byte " + b);
    }

    private IllegalStateException failure(String what, IOException e) {
        String peer = rank == 0 ? "a rank" : "rank 0";
        String why = e instanceof SocketTimeoutException ? "timed out"
                : e instanceof EOFException ? peer + " closed the connection (it stopped or failed)" : e.toString();
        return new IllegalStateException("rank " + rank + ": rendezvous " + what + " failed: " + why, e);
    }

    private static Rendezvous listen(LaunchEnv env, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Socket[] byRank = new Socket[env.worldSize()];
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            try {
                server.bind(new InetSocketAddress(env.masterPort()));
            } catch (IOException e) {
                throw new IllegalStateException("rank 0 cannot listen on MASTER_PORT=" + env.masterPort() + ": " + e.getMessage(), e);
            }
            int joined = 1;
            while (joined < env.worldSize()) {
                server.setSoTimeout(remainingMillis(deadline, () -> "rank 0: " + joinedCount(byRank) + " of "
                        + env.worldSize() + " ranks joined on port " + env.masterPort() + " within " + seconds(timeout)
                        + "; missing ranks " + missing(byRank)));
                Socket s;
                try {
                    s = server.accept();
                } catch (SocketTimeoutException e) {
                    continue; // the next remainingMillis call reports the timeout
                }
                accepted.add(s);
                s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
                var in = new DataInputStream(s.getInputStream());
                int magic = in.readInt(), size = in.readInt(), r = in.readInt();
                String from = String.valueOf(s.getRemoteSocketAddress());
                if (magic != MAGIC) throw new IllegalStateException("rank 0: " + from + " is not a Lathe rank (port " + env.masterPort() + ")");
                if (size != env.worldSize()) {
                    throw new IllegalStateException("rank " + r + " (" + from + ") has WORLD_SIZE=" + size + ", rank 0 has "
                            + env.worldSize() + ": every rank needs the same WORLD_SIZE");
                }
                if (r < 1 || r >= size) {
                    throw new IllegalStateException("a rank joined with RANK=" + r + " (" + from + "), out of range for"
                            + " WORLD_SIZE=" + size + " (rank 0 listens; the others are 1 to " + (size - 1) + ")");
                }
                if (byRank[r] != null) {
                    throw new IllegalStateException("two processes joined as rank " + r + " ("
                            + byRank[r].getRemoteSocketAddress() + " and " + from + "): every rank needs its own RANK");
                }
                byRank[r] = s;
                joined++;
            }
            List<Socket> peers = new ArrayList<>();
            for (int r = 1; r < byRank.length; r++) {
                answer(byRank[r], true, "");
                peers.add(byRank[r]);
            }
            return new Rendezvous(0, peers);
        } catch (IOException | RuntimeException e) {
            IllegalStateException failure = e instanceof IllegalStateException ise ? ise
                    : new IllegalStateException("rank 0: rendezvous on port " + env.masterPort() + " failed: " + e, e);
            for (Socket s : accepted) {
                try {
                    answer(s, false, failure.getMessage());
                    s.close();
                } catch (IOException ignored) {
                    // that rank will report rank 0's closed connection instead
                }
            }
            throw failure;
        }
    }

    private static Rendezvous connect(LaunchEnv env, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String where = env.masterAddr() + ":" + env.masterPort();
        java.util.function.Supplier<String> late = () -> "rank " + env.rank() + ": no rendezvous with rank 0 at " + where
                + " within " + seconds(timeout) + " (is rank 0 running, with the same MASTER_ADDR and MASTER_PORT?)";
        Socket s = null;
        while (s == null) {
            int wait = remainingMillis(deadline, late);
            Socket attempt = new Socket();
            try {
                attempt.connect(new InetSocketAddress(env.masterAddr(), env.masterPort()), Math.min(wait, 1000));
                s = attempt;
            } catch (UnknownHostException e) {
                closeQuietly(attempt);
                throw new IllegalStateException("rank " + env.rank() + ": MASTER_ADDR=" + env.masterAddr() + " is not a known host", e);
            } catch (ConnectException | NoRouteToHostException | SocketTimeoutException e) {
                closeQuietly(attempt); // rank 0 is not listening yet
                sleep(Math.min(100, wait));
            } catch (IOException e) {
                closeQuietly(attempt);
                throw new IllegalStateException("rank " + env.rank() + ": cannot connect to rank 0 at " + where + ": " + e, e);
            }
        }
        try {
            s.setTcpNoDelay(true);
            var out = new DataOutputStream(s.getOutputStream());
            out.writeInt(MAGIC);
            out.writeInt(env.worldSize());
            out.writeInt(env.rank());
            out.flush();
            s.setSoTimeout(remainingMillis(deadline, late));
            var in = new DataInputStream(s.getInputStream());
            boolean ok = in.readBoolean();
            String message = in.readUTF();
            if (!ok) throw new IllegalStateException("rank " + env.rank() + ": rank 0 at " + where + " ended the rendezvous: " + message);
            s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            return new Rendezvous(env.rank(), List.of(s));
        } catch (IOException | RuntimeException e) {
            closeQuietly(s);
            if (e instanceof IllegalStateException ise) throw ise;
            String why = e instanceof SocketTimeoutException ? "not every rank joined within " + seconds(timeout)
                    : e instanceof EOFException ? "rank 0 closed the connection" : e.toString();
            throw new IllegalStateException("rank " + env.rank() + ": rendezvous at " + where + " failed: " + why, e);
        }
    }

    private static void answer(Socket s, boolean ok, String message) throws IOException {
        var out = new DataOutputStream(s.getOutputStream());
        out.writeBoolean(ok);
        out.writeUTF(message.length() > 16_000 ? message.substring(0, 16_000) : message);
        out.flush();
    }

    /** Milliseconds to the deadline (at least 1), or the timeout {@code message} as an exception when past it. */
    private static int remainingMillis(long deadline, java.util.function.Supplier<String> message) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) throw new IllegalStateException(message.get());
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static int joinedCount(Socket[] byRank) {
        int n = 1;
        for (int r = 1; r < byRank.length; r++) if (byRank[r] != null) n++;
        return n;
    }

    private static List<Integer> missing(Socket[] byRank) {
        List<Integer> m = new ArrayList<>();
        for (int r = 1; r < byRank.length; r++) if (byRank[r] == null) m.add(r);
        return m;
    }

    private static String seconds(Duration d) {
        return d.toMillis() / 1000.0 + " s";
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing was sent on it
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for rank 0", e);
        }
    }
}
