package dev.lathe.train.distributed;

import dev.lathe.train.cli.UsageException;
import java.util.Map;

/**
 * A torchrun-style launch, read from the environment: {@code RANK} of {@code WORLD_SIZE} processes, rank 0 listening
 * for the others at {@code MASTER_ADDR:MASTER_PORT}, and {@code LOCAL_RANK}, the rank's index on its machine
 * (which GPU it takes; -1 when not set). A missing or invalid variable is a {@link UsageException} naming it.
 */
record LaunchEnv(int rank, int worldSize, String masterAddr, int masterPort, int localRank) {
    /** The launch {@code env} describes; it must set {@code WORLD_SIZE}. */
    static LaunchEnv read(Map<String, String> env) {
        int size = number(env, "WORLD_SIZE", "the number of processes");
        if (size < 1) throw new UsageException("WORLD_SIZE=" + size + ": a run needs at least one process");
        int rank = number(env, "RANK", "this process's rank, 0 to " + (size - 1));
        if (rank < 0 || rank >= size) {
            throw new UsageException("RANK=" + rank + " is out of range for WORLD_SIZE=" + size + " (0 to " + (size - 1) + ")");
        }
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) {
            throw new UsageException("MASTER_ADDR is not set: the host name or address where rank 0 listens");
        }
        int port = number(env, "MASTER_PORT", "the TCP port rank 0 listens on");
        if (port < 1 || port > 65535) throw new UsageException("MASTER_PORT=" + port + " is not a TCP port (1 to 65535)");
        int local = env.containsKey("LOCAL_RANK") ? number(env, "LOCAL_RANK", "this rank's index on its machine") : -1;
        if (env.containsKey("LOCAL_RANK") && local < 0) throw new UsageException("LOCAL_RANK=" + local + " is negative");
        return new LaunchEnv(rank, size, addr.trim(), port, local);
    }

    private static int number(Map<String, String> env, String variable, String meaning) {
        String v = env.get(variable);
        if (v == null || v.isBlank()) {
            throw new UsageException(variable + " is not set (" + meaning + "); a torchrun-style launch sets RANK,"
                    + " WORLD_SIZE, MASTER_ADDR and MASTER_PORT");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(variable + "=" + v + " is not a number (" + meaning + ")");
        }
    }
}
