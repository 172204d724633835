package dev.lathe.bench;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.Autocast;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.core.optim.GradClip;
import dev.lathe.kernels.FusedLinearLogProbs;
import dev.lathe.models.Padding;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.train.cli.Args;
import dev.lathe.train.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * {@code ./lathe bench train --preset gpt2-124m --batch-size 4 --seq-len 64 --steps 5}: full fp32 training steps of
 * a randomly initialised GPT-2 on random tokens — forward, mean next-token cross-entropy through the fused LM
 * head (as SFT computes it: {@link FusedLinearLogProbs#forwardBackward}, never the [B·T, V] logits), backward,
 * global grad-norm clip at 1.0 (the {@code clip} phase measures the norm; its coefficient is folded into the
 * update) and AdamW (PyTorch defaults, one parameter group). Reports the median step after warm-up, each phase's
 * median, the loss of the first and the last step (the same tokens every step, so it falls), and the process's
 * peak resident memory (VmHWM). {@code bench/peers/pytorch_train_step.py} times the same step in PyTorch.
 *
 * <p>{@code --device cuda} runs it on the GPU (the device is synchronised before each clock reading);
 * {@code --precision bf16} runs forward and backward under {@link Autocast} (BF16 GEMM operands, F32 master
 * weights and accumulation), {@code tf32} lets cuBLAS use TF32 tensor cores for the F32 GEMMs.
 */
final class TrainBench {
    /** Named model shapes: GPT-2 small, and a tiny one for quick checks. */
    private static final List<String> PRESETS = List.of("gpt2-124m", "tiny");
    private static final String[] PHASES = {"forward", "head", "backward", "clip", "adamw"};

    private TrainBench() {}

    static Gpt2Config preset(String name) {
        return switch (name) {
            case "gpt2-124m" -> Gpt2Config.of(50257, 1024, 768, 12, 12);
            case "tiny" -> Gpt2Config.of(97, 64, 32, 2, 4);
            default -> throw new UsageException("unknown --preset '" + name + "' (expected one of " + PRESETS + ")");
        };
    }

    static int run(Args args, PrintStream out, PrintStream err) {
        String presetName = args.string("preset", "gpt2-124m");
        Gpt2Config config = preset(presetName);
        int batch = BenchCommand.positive(args, "batch-size", 4), seq = BenchCommand.positive(args, "seq-len", 64);
        int steps = BenchCommand.positive(args, "steps", 5), warmup = Math.max(0, args.integer("warmup", 2));
        Backend backend;
        try {
            backend = Backends.select(args.string("device", "cpu"));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
        Device device = backend.device();
        String precision = args.string("precision", "fp32");
        if (!precision.matches("fp32|tf32|bf16")) {
            throw new UsageException("--precision must be fp32, tf32 or bf16, got '" + precision + "'");
        }
        args.rejectUnknown();
        try {
            backend.setTf32(precision.equals("tf32"));
        } catch (UnsupportedOperationException e) {
            throw new UsageException("--precision tf32: " + e.getMessage());
        }
        if (seq > config.nPositions()) {
            throw new UsageException("--seq-len " + seq + " exceeds the preset's " + config.nPositions() + " positions");
        }
        int n = batch * seq;
        Random rng = new Random(0);
        // Random tokens; the target of position t is the token at t + 1 of the same row, the row's last ignored.
        int[] ids = new int[n + batch];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(config.vocabSize());
        int[] input = new int[n], targets = new int[n];
        for (int r = 0; r < batch; r++) {
            System.arraycopy(ids, r * (seq + 1), input, r * seq, seq);
            System.arraycopy(ids, r * (seq + 1) + 1, targets, r * seq, seq);
        }
        float[] weights = new float[n];
        Arrays.fill(weights, -1f / n); // objective = −mean log p
        int[] lengths = new int[batch];
        Arrays.fill(lengths, seq);
        double[] stepMs = new double[steps];
        double[][] phaseMs = new double[PHASES.length][steps];
        double loss = 0, firstLoss = Double.NaN;
        long params;
        try (Gpt2Model model = Gpt2Model.random(config, rng)) {
            model.to(device);
            List<Tensor> trainable = model.parameters();
            params = trainable.stream().mapToLong(Tensor::numel).sum();
            try (AdamW optimizer = new AdamW(trainable, AdamWConfig.pytorchDefaults())) {
                for (int it = -warmup; it < steps; it++) {
                    long[] t = new long[PHASES.length + 1];
                    backend.synchronize();
                    t[0] = System.nanoTime();
                    try (var step = Scope.open(); var cast = precision.equals("bf16") ? Autocast.bf16() : Autocast.off()) {
                        Tensor hidden = model.forward(Tensor.ofInts(input, batch, seq).moveTo(device),
                                Padding.positions(lengths, seq, Padding.Side.RIGHT).moveTo(device), null);
                        t[1] = clock(backend);
                        var head = FusedLinearLogProbs.forwardBackward(hidden.view(n, config.nEmbd()),
                                model.lmHeadWeight(), Tensor.ofInts(targets).moveTo(device),
                                Tensor.of(weights, n).moveTo(device));
                        t[2] = clock(backend);
                        head.objective().backward();
                        t[3] = clock(backend);
                        float clip = GradClip.measure(trainable, 1.0).coefficient();
                        t[4] = clock(backend);
                        optimizer.step(clip);
                        trainable.forEach(Tensor::zeroGrad);
                        t[5] = clock(backend);
                        loss = head.objective().item();
                        if (Double.isNaN(firstLoss)) firstLoss = loss;
                    }
                    double ms = (System.nanoTime() - t[0]) / 1e6;
                    if (it >= 0) {
                        stepMs[it] = ms;
                        for (int p = 0; p < PHASES.length; p++) phaseMs[p][it] = (t[p + 1] - t[p]) / 1e6;
                    }
                    err.printf("train %s %d/%d: %.1f ms, loss %.4f%n", it < 0 ? "warmup" : "step",
                            it < 0 ? it + warmup + 1 : it + 1, it < 0 ? warmup : steps, ms, loss);
                }
            }
        }
        double median = LossBench.median(stepMs);
        StringBuilder json = new StringBuilder(String.format(
                "{\"bench\":\"train\",\"preset\":\"%s\",\"backend\":\"%s\",\"precision\":\"%s\",\"params\":%d,\"batch_size\":%d,\"seq_len\":%d,"
                        + "\"steps\":%d,\"first_loss\":%.6f,\"loss\":%.6f,\"ms_per_step\":%.2f,\"ms_min\":%.2f,\"tokens_per_second\":%.1f",
                presetName, backend.name(), precision, params, batch, seq, steps, firstLoss, loss, median,
                Arrays.stream(stepMs).min().orElse(0), n / (median / 1e3)));
        for (int p = 0; p < PHASES.length; p++) {
            json.append(String.format(",\"%s_ms\":%.2f", PHASES[p], LossBench.median(phaseMs[p])));
        }
        out.println(json.append(String.format(",\"peak_rss_bytes\":%d}", peakRssBytes())));
        return 0;
    }

    /** The clock after the device has finished what was issued (phases of an asynchronous device). */
    private static long clock(Backend backend) {
        backend.synchronize();
        return System.nanoTime();
    }

    /** The process's peak resident set (VmHWM in /proc/self/status), or -1 where there is no such file. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
