package dev.lathe.bench;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.models.Padding;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.train.cli.Args;
import dev.lathe.train.cli.UsageException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * {@code ./lathe bench lora}: training steps (forward, next-token cross-entropy, backward, AdamW) of a random-weight
 * GPT-2 fully fine-tuned, with LoRA adapters (F32 base) and with LoRA over a BF16 base. Reports per mode the
 * trainable parameters, the peak native bytes from building the model to the last step (weights, gradients,
 * AdamW moments, activations) and the median step time.
 */
final class LoraBench {
    private LoraBench() {}

    static int run(Args args, PrintStream out, PrintStream err) {
        int layers = BenchCommand.positive(args, "layers", 4), embd = BenchCommand.positive(args, "embd", 768);
        int heads = BenchCommand.positive(args, "heads", 12), batch = BenchCommand.positive(args, "batch", 2);
        int seq = BenchCommand.positive(args, "seq", 128), rank = BenchCommand.positive(args, "rank", 8);
        int warmup = Math.max(0, args.integer("warmup", 1)), iters = BenchCommand.positive(args, "iters", 3);
        List<String> targets = Arrays.asList(args.string("targets", "c_attn,c_proj,c_fc").split(","));
        args.rejectUnknown();
        if (embd % heads != 0) throw new UsageException("--embd must be divisible by --heads");
        Gpt2Config config = Gpt2Config.of(50257, Math.max(seq, 128), embd, layers, heads);
        StringBuilder json = new StringBuilder(String.format("{\"bench\":\"lora\",\"layers\":%d,\"embd\":%d,\"batch\":%d,"
                + "\"seq\":%d,\"rank\":%d", layers, embd, batch, seq, rank));
        for (String mode : new String[] {"full", "lora", "lora_bf16"}) {
            double[] r = measure(mode, config, batch, seq, rank, targets, warmup, iters, err);
            json.append(String.format(",\"%s_trainable\":%d,\"%s_peak_bytes\":%d,\"%s_step_ms\":%.1f",
                    mode, (long) r[0], mode, (long) r[1], mode, r[2]));
        }
        out.println(json.append('}'));
        return 0;
    }

    /** {trainable parameters, peak native bytes, median step ms}. */
    private static double[] measure(String mode, Gpt2Config config, int batch, int seq, int rank, List<String> targets,
                                    int warmup, int iters, PrintStream err) {
        long before = HostAllocator.liveBytes();
        HostAllocator.resetPeak();
        Random rng = new Random(0);
        int[] ids = new int[batch * seq], targetIds = new int[batch * seq], lengths = new int[batch];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(config.vocabSize());
        for (int i = 0; i < ids.length; i++) targetIds[i] = (i + 1) % seq == 0 ? LossOps.IGNORE_INDEX : ids[i + 1];
        Arrays.fill(lengths, seq);
        try (Gpt2Model model = Gpt2Model.random(config, rng)) {
            List<Tensor> trainable;
            if (mode.equals("full")) {
                trainable = model.parameters();
            } else {
                LoraModel lora = LoraModel.attach(model, LoraConfig.causalLm(rank, 16, 0, targets, "random"), rng);
                if (mode.equals("lora_bf16")) lora.storeFrozenWeightsAsBf16();
                trainable = new ArrayList<>(lora.trainableParameters().values());
            }
            long count = 0;
            for (Tensor p : trainable) count += p.numel();
            double[] ms = new double[iters];
            try (AdamW optimizer = new AdamW(trainable, AdamWConfig.pytorchDefaults())) {
                for (int it = -warmup; it < iters; it++) {
                    long start = System.nanoTime();
                    try (var step = Scope.open()) {
                        Tensor hidden = model.forward(Tensor.ofInts(ids, batch, seq),
                                Padding.positions(lengths, seq, Padding.Side.RIGHT), null);
                        Tensor logits = model.logits(hidden).view(batch * seq, -1);
                        trainable.forEach(Tensor::zeroGrad);
                        LossOps.crossEntropy(logits, Tensor.ofInts(targetIds), LossOps.IGNORE_INDEX).backward();
                        optimizer.step();
                    }
                    if (it >= 0) ms[it] = (System.nanoTime() - start) / 1e6;
                }
                trainable.forEach(Tensor::zeroGrad);
            }
            long peak = HostAllocator.peakBytes() - before;
            double median = LossBench.median(ms);
            err.printf("bench lora: %s: %,d trainable, peak %,d bytes, step %.1f ms (median of %d)%n",
                    mode, count, peak, median, iters);
            return new double[] {count, peak, median};
        }
    }
}
