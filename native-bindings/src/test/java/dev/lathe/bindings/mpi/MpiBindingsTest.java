package dev.lathe.bindings.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.bindings.NativeLibrary;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The bindings against the installed MPI: two ranks under mpirun run every collective. */
class MpiBindingsTest {
    @Test
    void twoRanksAgreeOnEveryCollective() throws Exception {
        Path mpirun = mpirun();
        List<String> cmd = new ArrayList<>(List.of(mpirun.toString(), "-np", "2"));
        cmd.addAll(rootFlags());
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                MpiCollectivesMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "mpirun did not finish");
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().sorted().toList();
        assertEquals(2, lines.size(), out);
        for (int r = 0; r < 2; r++) {
            // floats: (1 + 2)·i at i = 1 and 999; doubles 0.5 and 1.5: sum 2, min 0.5, max 1.5; rank 0's int.
            assertEquals(r + " 2 3.0,2997.0 2.0 0.5 1.5 12345", lines.get(r));
        }
    }

    @Test
    void aMissingLibraryNamesWhereItLooked() {
        var e = assertThrows(UnsatisfiedLinkError.class, () -> NativeLibrary.find("the test library",
                "lathe.test.none", "LATHE_TEST_NONE", "libdoes-not-exist.so.7"));
        assertTrue(e.getMessage().contains("/usr/lib/x86_64-linux-gnu/libdoes-not-exist.so.7"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dlathe.test.none"), e.getMessage());
        System.setProperty("lathe.test.none", "/nowhere/libmpi.so");
        try {
            var named = assertThrows(UnsatisfiedLinkError.class, () -> NativeLibrary.find("the test library",
                    "lathe.test.none", "LATHE_TEST_NONE", "libdoes-not-exist.so.7"));
            assertTrue(named.getMessage().contains("/nowhere/libmpi.so (from lathe.test.none or LATHE_TEST_NONE) does not exist"), named.getMessage());
        } finally {
            System.clearProperty("lathe.test.none");
        }
    }

    /** mpirun on the PATH, or the test is skipped saying why (CI installs openmpi-bin). */
    static Path mpirun() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "mpirun");
            if (Files.isExecutable(p)) return p;
        }
        Assumptions.abort("mpirun is not on the PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev)");
        return null;
    }

    /** Open MPI refuses root without being told, and 2 ranks on fewer cores without --oversubscribe. */
    static List<String> rootFlags() {
        return List.of("--allow-run-as-root", "--oversubscribe");
    }
}
