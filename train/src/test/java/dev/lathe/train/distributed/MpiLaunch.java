package dev.lathe.train.distributed;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs {@code ./lathe}'s main class under {@code mpirun} with the test classpath, one pool thread per rank. */
final class MpiLaunch {
    private MpiLaunch() {}

    record Result(int code, String out, String err) {}

    /** {@code mpirun -np ranks java ... dev.lathe.train.Main argv}; skips the test when mpirun is missing. */
    static Result run(int ranks, String... argv) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(mpirun().toString(), "-np", Integer.toString(ranks),
                // Open MPI refuses root unless told, and more ranks than cores without --oversubscribe.
                "--allow-run-as-root", "--oversubscribe",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Dlathe.threads=1",
                "-cp", System.getProperty("java.class.path"), "dev.lathe.train.Main"));
        cmd.addAll(List.of(argv));
        Path err = Files.createTempFile("mpirun", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
            pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
            pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("mpirun did not finish in 300 s");
            }
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
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
}
