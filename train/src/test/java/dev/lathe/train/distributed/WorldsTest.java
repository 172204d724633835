package dev.lathe.train.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Device;
import dev.lathe.core.backend.Backends;
import dev.lathe.train.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Which world the environment and the run's device give, and the messages of launches that cannot run. */
class WorldsTest {
    private static final Map<String, String> TORCHRUN = Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR",
            "127.0.0.1", "MASTER_PORT", "29500", "LOCAL_RANK", "1");

    @Test
    void noLauncherAndSingleProcessLaunchesAreOneProcess() {
        assertSame(SingleProcess.INSTANCE, Worlds.fromEnvironment(Map.of(), Device.CPU, quiet()));
        assertSame(SingleProcess.INSTANCE, Worlds.fromEnvironment(with("WORLD_SIZE", "1"), Device.CPU, quiet()));
        assertSame(SingleProcess.INSTANCE, Worlds.fromEnvironment(Map.of("OMPI_COMM_WORLD_SIZE", "1"), Device.CUDA, quiet()));
    }

    @Test
    void torchrunStyleCpuRanksAreRefusedPointingToMpirun() {
        var e = assertThrows(UsageException.class, () -> Worlds.fromEnvironment(TORCHRUN, Device.CPU, quiet()));
        assertTrue(e.getMessage().startsWith("WORLD_SIZE=2 without mpirun") && e.getMessage().contains("mpirun -np N"),
                e.getMessage());
    }

    @Test
    void torchrunStyleGpuRanksWithoutAGpuNameTheMissingGpu() {
        String missing = Backends.cudaUnavailableReason();
        Assumptions.assumeTrue(missing != null, "this machine has a usable GPU");
        var e = assertThrows(UsageException.class, () -> Worlds.fromEnvironment(TORCHRUN, Device.CUDA, quiet()));
        assertEquals("WORLD_SIZE=2 without mpirun (rank 1) needs a GPU for each rank, and this process has no usable"
                + " CUDA device: " + missing, e.getMessage());
    }

    @Test
    void invalidTorchrunVariablesAreNamed() {
        assertMessage(without("RANK"), "RANK is not set (this process's rank, 0 to 1)");
        assertMessage(with("RANK", "2"), "RANK=2 is out of range for WORLD_SIZE=2 (0 to 1)");
        assertMessage(with("RANK", "-1"), "RANK=-1 is out of range for WORLD_SIZE=2 (0 to 1)");
        assertMessage(with("RANK", "one"), "RANK=one is not a number (this process's rank, 0 to 1)");
        assertMessage(without("MASTER_ADDR"), "MASTER_ADDR is not set: the host name or address where rank 0 listens");
        assertMessage(without("MASTER_PORT"), "MASTER_PORT is not set (the TCP port rank 0 listens on)");
        assertMessage(with("MASTER_PORT", "70000"), "MASTER_PORT=70000 is not a TCP port (1 to 65535)");
        assertMessage(with("LOCAL_RANK", "-2"), "LOCAL_RANK=-2 is negative");
        var e = assertThrows(UsageException.class, () -> Worlds.fromEnvironment(with("WORLD_SIZE", "two"), Device.CUDA, quiet()));
        assertEquals("WORLD_SIZE=two is not a number of processes", e.getMessage());
    }

    @Test
    void aValidLaunchIsReadAsGiven() {
        assertEquals(new LaunchEnv(1, 2, "127.0.0.1", 29500, 1), LaunchEnv.read(TORCHRUN));
        assertEquals(-1, LaunchEnv.read(without("LOCAL_RANK")).localRank());
    }

    private static void assertMessage(Map<String, String> env, String start) {
        var e = assertThrows(UsageException.class, () -> LaunchEnv.read(env));
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
    }

    private static Map<String, String> with(String key, String value) {
        Map<String, String> m = new HashMap<>(TORCHRUN);
        m.put(key, value);
        return m;
    }

    private static Map<String, String> without(String key) {
        Map<String, String> m = new HashMap<>(TORCHRUN);
        m.remove(key);
        return m;
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }
}
