package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.backend.Backends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One optimizer step of sft, dpo and ppo on the GPT-2 fixture with {@code --device cuda} on a real GPU against the
 * same step on the CPU: loss and grad_norm agree within the fixtures' tolerances (1e-4 for values, 1e-3 for
 * gradient norms, relative to max(|value|, 0.1)): cuBLAS and the CUDA kernels sum in other orders than the CPU.
 */
@Tag("gpu")
class DeviceCommandsGpuTest {
    @TempDir
    Path dir;

    @BeforeEach
    void needsAGpu() {
        Assumptions.assumeTrue(Backends.cudaUnavailableReason() == null,
                () -> "no usable GPU: " + Backends.cudaUnavailableReason());
    }

    private String[] step(String command, Path model, Path data, String out, String... extra) {
        return DeviceRuns.with(new String[] {command, "--model", model.toString(), "--data", data.toString(), "--out",
                dir.resolve(out).toString(), "--steps", "1", "--batch-size", "2", "--save-steps", "0", "--lr", "1e-3",
                "--seed", "3"}, extra);
    }

    /** The step on the cpu and on the gpu; their loss and grad_norm agree. */
    private void assertGpuStepMatchesCpu(String command, Path model, Path data, String... extra) throws IOException {
        DeviceRuns.on("cpu", step(command, model, data, command + "-cpu", extra));
        DeviceRuns.on("cuda", step(command, model, data, command + "-cuda", extra));
        JsonNode cpu = only(dir.resolve(command + "-cpu")), gpu = only(dir.resolve(command + "-cuda"));
        assertClose(cpu, gpu, "loss", 1e-4);
        assertClose(cpu, gpu, "grad_norm", 1e-3);
        assertTrue(Files.exists(dir.resolve(command + "-cuda/final/model.safetensors")));
    }

    private static JsonNode only(Path run) throws IOException {
        List<JsonNode> lines = TrainFixture.metrics(run);
        assertEquals(1, lines.size(), run + " metrics");
        return lines.get(0);
    }

    private static void assertClose(JsonNode cpu, JsonNode gpu, String name, double rel) {
        double want = cpu.get(name).asDouble(), got = gpu.get(name).asDouble();
        assertTrue(TrainFixture.close(want, got, rel), name + ": " + got + " on the gpu, " + want + " on the cpu");
    }

    @Test
    void sftStep() throws IOException {
        assertGpuStepMatchesCpu("sft", TrainFixture.modelDir(dir, "policy"), TrainFixture.dataFile(dir, "sft.jsonl"));
    }

    @Test
    void dpoStep() throws IOException {
        assertGpuStepMatchesCpu("dpo", TrainFixture.modelDir(dir, "policy"), TrainFixture.dataFile(dir, "prefs.jsonl"));
    }

    @Test
    void ppoUpdate() throws IOException {
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "The capital of France is"}
                {"prompt": "One two three"}
                """);
        assertGpuStepMatchesCpu("ppo", TrainFixture.modelDir(dir, "policy"), prompts, "--reward-model",
                TrainFixture.modelDir(dir, "rm").toString(), "--num-ppo-epochs", "1", "--response-length", "6");
    }
}
