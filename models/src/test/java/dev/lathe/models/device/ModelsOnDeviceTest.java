package dev.lathe.models.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.EmulatedDeviceBackend;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.core.optim.GradClip;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Fixtures;
import dev.lathe.models.LogitsProbe;
import dev.lathe.models.ModelFamilies;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import dev.lathe.models.RewardModel;
import dev.lathe.models.generate.Generation;
import dev.lathe.models.generate.GenerationConfig;
import dev.lathe.models.generate.Generator;
import dev.lathe.models.generate.SamplingConfig;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model families on the emulated device (CPU kernels behind a device boundary): loaded on the host, moved with
 * {@code to(CUDA)}, their logits match the PyTorch fixtures and the CPU bit for bit, a training step (loss,
 * backward, clipped AdamW) gives the CPU's parameters bit for bit, KV-cache generation picks the CPU's tokens,
 * and saving from the device writes the CPU's file.
 */
class ModelsOnDeviceTest {

    /** A Hugging Face folder in the test resources. */
    private static Path resource(String dir) {
        try {
            return Path.of(ModelsOnDeviceTest.class.getResource("/" + dir).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final Path GPT2 = resource("gpt2-tiny/policy");
    private static final Path QWEN3 = resource("qwen3-tiny/policy");

    private static CausalLm load(Path dir) {
        try {
            return ModelFamilies.loadCausalLm(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs body with the emulated device installed, checking it freed all it allocated. */
    private static <T> T onDevice(Supplier<T> body) {
        EmulatedDeviceBackend device = new EmulatedDeviceBackend();
        Backend previous = Backends.install(device);
        try {
            T result = body.get();
            assertEquals(0, device.liveBytes(), "device bytes left allocated");
            return result;
        } finally {
            Backends.install(previous);
        }
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    /** The unpadded probe's logits [T, V] of the model in {@code dir}, computed on {@code device}. */
    private static float[] probeLogits(Path dir, int[] ids, Device device) {
        try (CausalLm model = load(dir); var s = Scope.open(); var noGrad = GradMode.off()) {
            model.to(device);
            assertEquals(device, model.device());
            int t = ids.length;
            Tensor hidden = model.forward(Tensor.ofInts(ids, 1, t).to(device),
                    Padding.positions(new int[] {t}, t, Side.RIGHT).moveTo(device), null);
            Tensor logits = model.logits(hidden);
            assertEquals(device, logits.device());
            return logits.toFloatArray();
        }
    }

    private static void checkProbe(JsonNode probe, Path dir, String what) {
        int[] ids = Fixtures.ints(probe.get("ids"));
        float[] cpu = probeLogits(dir, ids, Device.CPU);
        float[] device = onDevice(() -> probeLogits(dir, ids, Device.CUDA));
        assertSameBits(cpu, device, what + " logits");
        LogitsProbe.checkPositions(probe, device, ids.length, device.length / ids.length, what);
    }

    @Test
    void gpt2AndQwen3LogitsOnTheDeviceMatchTheFixtures() throws IOException {
        checkProbe(Fixtures.expectedLogits(), GPT2, "gpt2-tiny");
        checkProbe(new ObjectMapper().readTree(resource("qwen3-tiny/expected.json").toFile()).get("logits"), QWEN3, "qwen3-tiny");
    }

    /** Two right-padded rows of the model's tokens (lengths 9 and 6 of T = 9). */
    private static int[] batchIds(int vocab) {
        Random rng = new Random(4);
        int[] ids = new int[2 * 9];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(vocab);
        return ids;
    }

    /**
     * One step of next-token training on {@code device}: loss, backward, clip to 0.5, AdamW; returns the loss, the
     * gradient norm and every trained tensor by name. {@code trained} picks the tensors the step trains.
     */
    private static Map<String, float[]> trainStep(Path dir, Device device,
                                                   Function<CausalLm, Map<String, Tensor>> trained) {
        int t = 9;
        int[] lengths = {9, 6};
        try (CausalLm model = load(dir)) {
            Map<String, Tensor> params = trained.apply(model);
            model.to(device);
            int v = model.config().vocabSize();
            int[] ids = batchIds(v);
            int[] targets = new int[ids.length];
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < t; i++) targets[b * t + i] = i + 1 < lengths[b] ? ids[b * t + i + 1] : LossOps.IGNORE_INDEX;
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            try (var opt = new AdamW(new ArrayList<>(params.values()), AdamWConfig.pytorchDefaults()); var s = Scope.open()) {
                Tensor hidden = model.forward(Tensor.ofInts(ids, 2, t).to(device),
                        Padding.positions(lengths, t, Side.RIGHT).moveTo(device),
                        Padding.mask(lengths, t, Side.RIGHT).moveTo(device));
                Tensor logits = model.logits(hidden).view(2 * t, v);
                Tensor loss = LossOps.crossEntropy(logits, Tensor.ofInts(targets, 2 * t).to(device), LossOps.IGNORE_INDEX);
                assertEquals(device, loss.device());
                loss.backward();
                double norm = GradClip.clipGradNorm(new ArrayList<>(params.values()), 0.5);
                opt.step();
                out.put("loss", new float[] {loss.item()});
                out.put("grad norm", new float[] {(float) norm});
                params.forEach((name, p) -> {
                    assertEquals(device, p.device(), name);
                    assertEquals(device, p.grad().device(), name + " grad");
                    assertEquals(device, opt.moments(p).expAvg().device(), name + " moments");
                    out.put(name, p.toFloatArray());
                });
            }
            return out;
        }
    }

    private static void checkTrainStep(Path dir, Function<CausalLm, Map<String, Tensor>> trained, String what) {
        Map<String, float[]> cpu = trainStep(dir, Device.CPU, trained);
        Map<String, float[]> device = onDevice(() -> trainStep(dir, Device.CUDA, trained));
        assertEquals(cpu.keySet(), device.keySet());
        assertTrue(cpu.get("grad norm")[0] > 0.5f, what + ": the step must clip");
        cpu.forEach((name, v) -> assertSameBits(v, device.get(name), what + " " + name));
    }

    @Test
    void gpt2TrainingStepOnTheDeviceEqualsTheCpu() {
        checkTrainStep(GPT2, CausalLm::namedParameters, "gpt2-tiny");
    }

    @Test
    void qwen3TrainingStepOnTheDeviceEqualsTheCpu() {
        checkTrainStep(QWEN3, CausalLm::namedParameters, "qwen3-tiny");
    }

    /** LoRA attached on the host, frozen base weights re-stored as BF16, then the model moved: adapters train alike. */
    @Test
    void loraStepWithBf16FrozenWeightsOnTheDeviceEqualsTheCpu() {
        checkTrainStep(QWEN3, model -> {
            LoraModel lora = LoraModel.attach((Module) model,
                    LoraConfig.causalLm(4, 8, 0, LoraConfig.LLAMA_PROJECTIONS, "tiny"), new Random(1));
            lora.storeFrozenWeightsAsBf16();
            return lora.trainableParameters();
        }, "qwen3-tiny lora");
    }

    /** Completions and log-probabilities of cached generation, on {@code device}. */
    private static List<Object> generate(Path dir, Device device, GenerationConfig cfg, int[][] prompts) {
        try (CausalLm model = load(dir)) {
            model.to(device);
            Generation g = Generator.generate(model, prompts, cfg);
            return List.of(g.completions(), g.logProbs(), g.processedLogProbs());
        }
    }

    @Test
    void kvCacheGenerationOnTheDeviceChoosesTheCpuTokens() {
        int[][] prompts = {{5, 17, 3, 9, 2}, {8, 1}, {30, 4, 4}};
        for (Path dir : List.of(GPT2, QWEN3)) {
            int eos;
            try (CausalLm model = load(dir)) {
                eos = model.config().vocabSize() - 1;
            }
            for (Side side : Side.values()) {
                for (SamplingConfig sampling : List.of(SamplingConfig.greedy(), SamplingConfig.sampling(1f, 7))) {
                    GenerationConfig cfg = GenerationConfig.of(sampling, 6, -1, eos).withPaddingSide(side);
                    List<Object> cpu = generate(dir, Device.CPU, cfg, prompts);
                    List<Object> device = onDevice(() -> generate(dir, Device.CUDA, cfg, prompts));
                    String what = dir.getParent().getFileName() + " " + side + " " + sampling;
                    assertArrayEquals((int[][]) cpu.get(0), (int[][]) device.get(0), what + " tokens");
                    assertArrayEquals((float[][]) cpu.get(1), (float[][]) device.get(1), what + " log-probs");
                    assertArrayEquals((float[][]) cpu.get(2), (float[][]) device.get(2), what + " processed log-probs");
                }
            }
        }
    }

    /** Scores of the gpt2-tiny reward model for two padded rows on {@code device}. */
    private static float[] rewardScores(Device device) {
        try (RewardModel rm = loadRewardModel(); var s = Scope.open(); var noGrad = GradMode.off()) {
            rm.to(device);
            int t = 9;
            int[] lengths = {9, 6};
            Tensor scores = rm.scores(Tensor.ofInts(batchIds(rm.config().vocabSize()), 2, t).to(device),
                    Padding.positions(lengths, t, Side.RIGHT).moveTo(device),
                    Padding.mask(lengths, t, Side.RIGHT).moveTo(device), Padding.lastTokenIndex(lengths, t, Side.RIGHT));
            assertEquals(device, scores.device());
            return scores.toFloatArray();
        }
    }

    private static RewardModel loadRewardModel() {
        try {
            return ModelFamilies.loadRewardModel(Fixtures.gpt2Tiny("rm"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void rewardModelScoresOnTheDeviceEqualTheCpu() {
        assertSameBits(rewardScores(Device.CPU), onDevice(() -> rewardScores(Device.CUDA)), "scores");
    }

    @Test
    void hostIdsForADeviceModelFailNamingBothDevices() {
        onDevice(() -> {
            try (CausalLm model = load(GPT2); var s = Scope.open()) {
                model.to(Device.CUDA);
                int[] lengths = {3};
                var e = assertThrows(IllegalArgumentException.class,
                        () -> model.forward(Tensor.ofInts(new int[] {1, 2, 3}, 1, 3),
                                Padding.positions(lengths, 3, Side.RIGHT), null));
                assertTrue(e.getMessage().contains("CPU") && e.getMessage().contains("CUDA"), e.getMessage());
            }
            return null;
        });
    }

    @Test
    void savingFromTheDeviceWritesTheCpuFile(@TempDir Path tmp) throws IOException {
        for (Path dir : List.of(GPT2, QWEN3)) {
            Path fromCpu = tmp.resolve("cpu-" + dir.getParent().getFileName()), fromDevice = tmp.resolve("device-" + dir.getParent().getFileName());
            try (CausalLm model = load(dir)) {
                model.save(fromCpu, DType.BF16);
            }
            onDevice(() -> {
                try (CausalLm model = load(dir)) {
                    model.to(Device.CUDA);
                    model.save(fromDevice, DType.BF16);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            });
            try (var files = Files.list(fromCpu)) {
                for (Path f : files.toList()) {
                    assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(fromDevice.resolve(f.getFileName())),
                            dir + ": " + f.getFileName());
                }
            }
        }
    }
}
