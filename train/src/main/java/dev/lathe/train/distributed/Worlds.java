package dev.lathe.train.distributed;

import dev.lathe.core.Device;
import dev.lathe.core.backend.Backends;
import dev.lathe.train.cli.UsageException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

/**
 * Finds this process's world from its environment and the run's device, once. Under {@code mpirun} (Open MPI's
 * {@code OMPI_COMM_WORLD_SIZE}, MPICH's {@code PMI_SIZE}) with more than one rank: MPI's for CPU ranks, NCCL's
 * for GPU ranks. A torchrun-style {@code WORLD_SIZE} > 1 ({@link LaunchEnv}): NCCL's for GPU ranks after the
 * {@link Rendezvous} (waiting {@code LATHE_RENDEZVOUS_TIMEOUT} seconds, default 300), refused for CPU ranks.
 * Else one process.
 */
final class Worlds {
    static final Duration DEFAULT_RENDEZVOUS_TIMEOUT = Duration.ofSeconds(300);
    private static World current;

    private Worlds() {}

    static synchronized World current(Device device) {
        if (current == null) current = fromEnvironment(System.getenv(), device, System.err);
        return current;
    }

    static World fromEnvironment(Map<String, String> env, Device device, PrintStream err) {
        if (size(env, "OMPI_COMM_WORLD_SIZE") > 1 || size(env, "PMI_SIZE") > 1) {
            if (device == Device.CPU) return new MpiWorld(err);
            requireGpu(device, "mpirun with " + device + " ranks");
            return NcclWorld.overMpi(err);
        }
        if (size(env, "WORLD_SIZE") > 1) {
            String launch = "WORLD_SIZE=" + env.get("WORLD_SIZE") + " without mpirun";
            if (device == Device.CPU) {
                throw new UsageException(launch + ": the torchrun-style launch (RANK, WORLD_SIZE, MASTER_ADDR,"
                        + " MASTER_PORT) is for GPU ranks over NCCL (--device cuda); CPU ranks train under"
                        + " mpirun -np N ./lathe ...");
            }
            LaunchEnv ranks = LaunchEnv.read(env);
            requireGpu(device, launch + " (rank " + ranks.rank() + ")");
            if (ranks.localRank() > 0 && !env.containsKey("LATHE_CUDA_DEVICE")) {
                err.println("warning: rank " + ranks.rank() + ": LOCAL_RANK=" + ranks.localRank() + " but LATHE_CUDA_DEVICE"
                        + " is not set, so this rank takes the first visible GPU (./lathe sets it from LOCAL_RANK)");
            }
            return NcclWorld.overRendezvous(ranks, rendezvousTimeout(env), err);
        }
        return SingleProcess.INSTANCE;
    }

    /** A GPU rank needs a usable CUDA device (and NCCL, checked when it is first called). */
    private static void requireGpu(Device device, String launch) {
        String missing = Backends.cudaUnavailableReason();
        if (missing != null) {
            throw new UsageException(launch + " needs a GPU for each rank, and this process has no usable " + device
                    + " device: " + missing);
        }
    }

    private static Duration rendezvousTimeout(Map<String, String> env) {
        String v = env.get("LATHE_RENDEZVOUS_TIMEOUT");
        if (v == null) return DEFAULT_RENDEZVOUS_TIMEOUT;
        try {
            double s = Double.parseDouble(v.trim());
            if (s > 0) return Duration.ofMillis((long) (s * 1000));
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException("LATHE_RENDEZVOUS_TIMEOUT=" + v + " is not a positive number of seconds");
    }

    private static int size(Map<String, String> env, String variable) {
        String v = env.get(variable);
        try {
            return v == null ? 1 : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(variable + "=" + v + " is not a number of processes");
        }
    }
}
