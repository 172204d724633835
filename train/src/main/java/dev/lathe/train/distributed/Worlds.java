package dev.lathe.train.distributed;

import dev.lathe.train.cli.UsageException;

/**
 * Finds this process's world from its environment, once: {@code mpirun} (Open MPI's
 * {@code OMPI_COMM_WORLD_SIZE}, MPICH's {@code PMI_SIZE}) with more than one rank gives MPI's; a torchrun-style
 * {@code WORLD_SIZE} > 1 without MPI is refused (it needs NCCL's rendezvous, GPU ranks only); else one process.
 */
final class Worlds {
    private static World current;

    private Worlds() {}

    static synchronized World current() {
        if (current == null) current = fromEnvironment();
        return current;
    }

    private static World fromEnvironment() {
        if (size("OMPI_COMM_WORLD_SIZE") > 1 || size("PMI_SIZE") > 1) return new MpiWorld(System.err);
        if (size("WORLD_SIZE") > 1) {
            throw new UsageException("WORLD_SIZE=" + System.getenv("WORLD_SIZE") + " without mpirun: the torchrun-style"
                    + " launch (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) needs NCCL (GPU ranks); on CPU launch with"
                    + " mpirun -np N ./lathe ...");
        }
        return SingleProcess.INSTANCE;
    }

    private static int size(String variable) {
        String v = System.getenv(variable);
        try {
            return v == null ? 1 : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(variable + "=" + v + " is not a number of processes");
        }
    }
}
