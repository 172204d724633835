package dev.lathe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.cpu.CpuGemm;
import dev.lathe.core.cpu.NativeBlas;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI contract: data only on stdout (JSON lines), messages on stderr, exit codes 0 / 2 / 1. */
class CliTest {
    @Test
    void helpListsTheCommands() {
        Cli.Result r = Cli.run("--help");
        assertEquals(0, r.code());
        for (String cmd : new String[] {"info", "demo", "bench"}) assertTrue(r.out().contains(cmd), r.out());
    }

    @Test
    void infoPrintsOneJsonObject() {
        Cli.Result r = Cli.run("info", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.jsonLines();
        assertEquals(1, lines.size());
        assertEquals("cpu", lines.get(0).get("backend").asText());
        assertTrue(lines.get(0).get("threads").asInt() >= 1);
    }

    @Test
    void badUsageExitsWithTwoAndOneMessage() {
        for (String[] argv : new String[][] {
                {"no-such-command"}, {"info", "--bogus", "1"}, {"demo", "--steps", "many"}, {"info", "--device", "tpu"},
                {"bench", "gemm", "--m", "0"}, {"bench"}}) {
            Cli.Result r = Cli.run(argv);
            assertEquals(2, r.code(), String.join(" ", argv));
            assertEquals("", r.out(), "nothing on stdout for " + String.join(" ", argv));
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void demoTrainsAndReportsMetricsAsJsonLines() {
        Cli.Result r = Cli.run("demo", "--steps", "60", "--digits", "3", "--batch-size", "16", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.jsonLines();
        JsonNode first = lines.get(0), lastStep = lines.get(lines.size() - 2), eval = lines.get(lines.size() - 1);
        assertEquals(1, first.get("step").asInt());
        assertEquals(60, lastStep.get("step").asInt());
        assertTrue(lastStep.get("loss").asDouble() < first.get("loss").asDouble(), r.out());
        assertTrue(eval.has("eval_exact_match") && eval.get("samples").size() == 3, r.out());
        assertTrue(r.err().contains("step 60/60"), r.err());
    }

    @Test
    void benchGemmEndsWithAJsonLine() {
        Cli.Result r = Cli.run("bench", "gemm", "--m", "33", "--n", "17", "--k", "9", "--iters", "2", "--warmup", "1", "--warmup-seconds", "0");
        assertEquals(0, r.code(), r.err());
        JsonNode last = r.jsonLines().get(r.jsonLines().size() - 1);
        assertEquals(33, last.get("m").asInt());
        assertTrue(last.get("ms_median").asDouble() > 0 && last.has("gflops"), r.out());
        assertEquals("java-vector", last.get("impl").asText());
    }

    @Test
    void blasFlagSelectsTheGemmImplementation() {
        try {
            Cli.Result bad = Cli.run("bench", "gemm", "--blas", "fortran", "--m", "8", "--n", "8", "--k", "8");
            assertEquals(2, bad.code(), bad.err());
            assertTrue(bad.err().contains("--blas must be java or native, got 'fortran'"), bad.err());
            System.setProperty("lathe.blasLibrary", "/nonexistent/libnoblas.so");
            Cli.Result missing = Cli.run("bench", "gemm", "--blas", "native", "--m", "8", "--n", "8", "--k", "8");
            assertEquals(2, missing.code(), missing.err());
            assertTrue(missing.err().contains("--blas native: no native BLAS") && missing.err().contains("/nonexistent"),
                    missing.err());
            System.clearProperty("lathe.blasLibrary");
            assumeTrue(NativeBlas.find(null, new ArrayList<>()).isPresent(), "no CBLAS installed");
            Cli.Result r = Cli.run("bench", "gemm", "--m", "33", "--blas", "native", "--n", "17", "--k", "9",
                    "--iters", "2", "--warmup", "1", "--warmup-seconds", "0");
            assertEquals(0, r.code(), r.err());
            JsonNode last = r.jsonLines().get(r.jsonLines().size() - 1);
            assertTrue(last.get("impl").asText().startsWith("native:"), r.out());
            assertTrue(r.err().contains("CPU GEMMs on native:"), r.err());
        } finally {
            System.clearProperty("lathe.blasLibrary");
            CpuGemm.useBlas(null);
        }
    }
}
