package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainers (and score, generate, demo) with {@code --device cuda} on the emulated device (the CPU kernels behind
 * a device boundary) against the same runs with {@code --device cpu}: the same metrics.jsonl, the same final model,
 * every device byte freed.
 *
 * <p>reward (and demo, generate) run only core ops, which the emulated device computes with the CPU's kernels:
 * metrics and weights are the same bits. sft, dpo, ppo and grpo go through the kernels module, whose device path (DeviceMath's
 * composition of backend ops) sums the fused classifier's rows in another order than the CPU's fused loop, so
 * their log-probs, losses and gradients agree to float rounding: within 1e-5 relative (of max(|value|, 1); of
 * log V for an entropy).
 * Generation itself is core ops, so ppo and grpo sample the same tokens on both.
 */
class DeviceCommandsTest {
    /** Relative tolerance of the runs that go through the kernels module's device path. */
    private static final double KERNELS_REL = 1e-5;
    /**
     * An entropy is lse − Σ p·logit, the difference of two numbers of the size of log V (the CPU sums them in
     * float64, the device path in float32), so it is compared to KERNELS_REL of log V rather than of itself.
     */
    private static final double LOG_VOCAB = Math.log(50257);

    @TempDir
    static Path dir;
    static Path policy;
    static Path rm;
    static Path sftData;
    static Path prefs;
    static Path prompts;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        rm = TrainFixture.modelDir(dir, "rm");
        sftData = TrainFixture.dataFile(dir, "sft.jsonl");
        prefs = TrainFixture.dataFile(dir, "prefs.jsonl");
        prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "The capital of France is"}
                {"prompt": [{"role": "user", "content": "Say hi"}]}
                {"prompt": "One two three"}
                """);
    }

    /** Two steps of two rows with a checkpoint after each: the device writes checkpoints too. */
    private static String[] train(String command, Path model, Path data, String out, String... extra) {
        return DeviceRuns.with(new String[] {command, "--model", model.toString(), "--data", data.toString(), "--out",
                dir.resolve(out).toString(), "--steps", "2", "--batch-size", "2", "--save-steps", "1", "--lr", "1e-3",
                "--seed", "3"}, extra);
    }

    /** Runs {@code argv} on the cpu into OUT-cpu and on the emulated device into OUT-cuda; returns both folders. */
    private static Path[] both(String command, Path model, Path data, String out, String... extra) {
        DeviceRuns.on("cpu", train(command, model, data, out + "-cpu", extra));
        DeviceRuns.onEmulatedDevice(train(command, model, data, out + "-cuda", extra));
        return new Path[] {dir.resolve(out + "-cpu"), dir.resolve(out + "-cuda")};
    }

    @Test
    void rewardOnTheDeviceIsTheCpuRunBitForBit() throws IOException {
        Path[] runs = both("reward", policy, prefs, "reward");
        DeviceRuns.assertSameMetrics(runs[0], runs[1]);
        DeviceRuns.assertSameWeights(runs[0].resolve("final/model.safetensors"), runs[1].resolve("final/model.safetensors"), 0);
        DeviceRuns.assertSameWeights(runs[0].resolve("checkpoint-1/optimizer.safetensors"),
                runs[1].resolve("checkpoint-1/optimizer.safetensors"), 0);
    }

    @Test
    void sftOnTheDeviceMatchesTheCpuRunAndResumesThere() throws IOException {
        Path[] runs = both("sft", policy, sftData, "sft");
        DeviceRuns.assertCloseMetrics(runs[0], runs[1], KERNELS_REL, Map.of());
        DeviceRuns.assertSameWeights(runs[0].resolve("final/model.safetensors"), runs[1].resolve("final/model.safetensors"),
                KERNELS_REL);

        // Resumed on the device from its own checkpoint-1: the moments land on the device, step 2 is the same.
        DeviceRuns.onEmulatedDevice(train("sft", policy, sftData, "sft-resumed", "--resume",
                runs[1].resolve("checkpoint-1").toString()));
        assertEquals(DeviceRuns.metrics(runs[1]).subList(1, 2).toString(),
                DeviceRuns.metrics(dir.resolve("sft-resumed")).toString());
    }

    @Test
    void dpoOnTheDeviceMatchesTheCpuRun() throws IOException {
        Path[] runs = both("dpo", policy, prefs, "dpo");
        DeviceRuns.assertCloseMetrics(runs[0], runs[1], KERNELS_REL, Map.of());
        DeviceRuns.assertSameWeights(runs[0].resolve("final/model.safetensors"), runs[1].resolve("final/model.safetensors"),
                KERNELS_REL);
    }

    @Test
    void dpoWithLoraAndPrecomputedReferenceOnTheDeviceMatchesTheCpuRun() throws IOException {
        Path[] runs = both("dpo", policy, prefs, "dpo-lora", "--lora-rank", "4", "--precompute-ref-log-probs");
        DeviceRuns.assertCloseMetrics(runs[0], runs[1], KERNELS_REL, Map.of());
        DeviceRuns.assertSameWeights(runs[0].resolve("final/adapter_model.safetensors"),
                runs[1].resolve("final/adapter_model.safetensors"), KERNELS_REL);
    }

    @Test
    void ppoOnTheDeviceMatchesTheCpuRun() throws IOException {
        Path[] runs = both("ppo", policy, prompts, "ppo", "--reward-model", rm.toString(), "--num-mini-batches", "2",
                "--num-ppo-epochs", "2", "--response-length", "6", "--missing-eos-penalty", "1");
        DeviceRuns.assertCloseMetrics(runs[0], runs[1], KERNELS_REL, Map.of("policy/entropy_avg", LOG_VOCAB));
        for (String f : List.of("final/model.safetensors", "final/value_model/model.safetensors")) {
            DeviceRuns.assertSameWeights(runs[0].resolve(f), runs[1].resolve(f), KERNELS_REL);
        }
    }

    @Test
    void grpoOnTheDeviceMatchesTheCpuRun() throws IOException {
        Path[] runs = both("grpo", policy, prompts, "grpo", "--reward-model", rm.toString(), "--num-generations", "3",
                "--max-completion-length", "6", "--beta", "0.1");
        DeviceRuns.assertCloseMetrics(runs[0], runs[1], KERNELS_REL, Map.of());
        DeviceRuns.assertSameWeights(runs[0].resolve("final/model.safetensors"), runs[1].resolve("final/model.safetensors"),
                KERNELS_REL);
    }

    @Test
    void scoreAndGenerateOnTheDeviceMatchTheCpu() throws IOException {
        Path rows = dir.resolve("score.jsonl");
        Files.writeString(rows, """
                {"prompt": "Hello", "completion": " world"}
                {"prompt": "The capital of France is", "completion": " Paris, of course"}
                """);
        String[] score = {"score", "--model", policy.toString(), "--data", rows.toString()};
        List<String> cpu = lines(DeviceRuns.on("cpu", score).out()), device = lines(DeviceRuns.onEmulatedDevice(score).out());
        assertEquals(2, cpu.size());
        for (int i = 0; i < cpu.size(); i++) {
            var want = TrainFixture.JSON.readTree(cpu.get(i));
            var got = TrainFixture.JSON.readTree(device.get(i));
            assertEquals(want.get("num_tokens"), got.get("num_tokens"));
            double w = want.get("logps").asDouble();
            assertEquals(w, got.get("logps").asDouble(), KERNELS_REL * Math.max(Math.abs(w), 1), "row " + i);
        }
        String[] generate = {"generate", "--model", policy.toString(), "--prompt", "Hello", "--max-new-tokens", "5",
                "--temperature", "1", "--seed", "4", "--num-return-sequences", "2"};
        assertEquals(DeviceRuns.on("cpu", generate).out(), DeviceRuns.onEmulatedDevice(generate).out(),
                "generation is core ops: the same bits on the device");
    }

    @Test
    void demoOnTheDeviceIsTheCpuRunBitForBit() {
        String[] demo = {"demo", "--steps", "30", "--digits", "3", "--batch-size", "8", "--seed", "2"};
        String cpu = DeviceRuns.on("cpu", demo).out();
        assertTrue(cpu.contains("eval_exact_match"), cpu);
        assertEquals(cpu, DeviceRuns.onEmulatedDevice(demo).out(), "core ops only: the same bits on the device");
    }

    @Test
    void bf16RunsAndItsFirstLossIsTheF32OneWithinBf16Rounding() throws IOException {
        DeviceRuns.on("cpu", train("sft", policy, sftData, "sft-f32", "--save-steps", "0"));
        DeviceRuns.on("cpu", train("sft", policy, sftData, "sft-bf16", "--save-steps", "0", "--bf16"));
        double f32 = DeviceRuns.metrics(dir.resolve("sft-f32")).get(0).get("loss").asDouble();
        double bf16 = DeviceRuns.metrics(dir.resolve("sft-bf16")).get(0).get("loss").asDouble();
        // BF16 keeps 8 significant bits (relative rounding 2^-9 per operand); the loss is a mean of log-softmaxes
        // over GEMMs of such operands, so it moves by a few times that, never more than 1%.
        assertTrue(Math.abs(bf16 - f32) <= 1e-2 * Math.abs(f32), "bf16 loss " + bf16 + ", f32 loss " + f32);
        assertTrue(bf16 != f32, "--bf16 changed nothing: loss " + bf16);
        // The setting was the run's only: a run after it computes in F32 again.
        DeviceRuns.on("cpu", train("sft", policy, sftData, "sft-f32-again", "--save-steps", "0"));
        DeviceRuns.assertSameMetrics(dir.resolve("sft-f32"), dir.resolve("sft-f32-again"));
    }

    @Test
    void tf32OnTheCpuIsAUsageError() {
        TrainFixture.Result r = TrainFixture.run(train("sft", policy, sftData, "sft-tf32", "--device", "cpu", "--tf32"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--tf32 needs a GPU (--device cuda)"), r.err());
        assertTrue(!Files.exists(dir.resolve("sft-tf32")), "nothing written");
    }

    private static List<String> lines(String out) {
        return out.strip().lines().toList();
    }
}
