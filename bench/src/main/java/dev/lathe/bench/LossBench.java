package dev.lathe.bench;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.kernels.MaskedCrossEntropy;
import dev.lathe.train.cli.Args;
import dev.lathe.train.cli.UsageException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * {@code ./lathe bench loss --vocab V --tokens N --hidden D}: forward + backward of SFT's masked cross-entropy
 * from hidden states h [N, D] through the LM head W [V, D], fused ({@link MaskedCrossEntropy}: streamed row
 * chunks, one pass) against the unfused autograd composition (logits = h Wᵀ as a [N, V] tensor, per-row
 * log-softmax cross-entropy, mean, backward — what a framework does without fusion). Reports median times and
 * the peak native bytes each allocates beyond the inputs h, W, y (dh and dW included).
 */
final class LossBench {
    private LossBench() {}

    static int run(Args args, PrintStream out, PrintStream err) {
        int v = BenchCommand.positive(args, "vocab", 50257), n = BenchCommand.positive(args, "tokens", 4096);
        int d = BenchCommand.positive(args, "hidden", 768), chunkMib = BenchCommand.positive(args, "chunk-mib", 64);
        int warmup = Math.max(0, args.integer("warmup", 1)), iters = BenchCommand.positive(args, "iters", 3);
        args.rejectUnknown();
        long chunkBytes = (long) chunkMib << 20;
        Random rng = new Random(0);
        try (var inputs = Scope.open()) {
            Tensor h = Tensor.randn(rng, 1f, n, d).requiresGrad(true);
            Tensor w = Tensor.randn(rng, 0.02f, v, d).requiresGrad(true);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = rng.nextInt(v);
            Tensor y = Tensor.ofInts(ids);
            Measured fused = measure("fused", h, w, warmup, iters, err,
                    (hh, ww) -> MaskedCrossEntropy.loss(hh, ww, y, n, chunkBytes));
            Measured unfused = measure("unfused", h, w, warmup, iters, err,
                    (hh, ww) -> LossOps.crossEntropy(MatmulOps.matmul(hh, ww.t()), y, LossOps.IGNORE_INDEX));
            if (Math.abs(fused.loss - unfused.loss) > 1e-4 * Math.max(1, Math.abs(unfused.loss))) {
                throw new IllegalStateException("fused loss " + fused.loss + " differs from unfused " + unfused.loss);
            }
            out.printf("{\"bench\":\"loss\",\"vocab\":%d,\"tokens\":%d,\"hidden\":%d,\"chunk_rows\":%d,\"loss\":%.6f,"
                            + "\"fused_ms\":%.3f,\"unfused_ms\":%.3f,\"fused_peak_bytes\":%d,\"unfused_peak_bytes\":%d,"
                            + "\"peak_ratio\":%.4f,\"speedup\":%.3f}%n",
                    v, n, d, Math.max(1, Math.min(n, chunkBytes / ((long) v * Float.BYTES))), fused.loss, fused.ms,
                    unfused.ms, fused.peak, unfused.peak, (double) fused.peak / unfused.peak, unfused.ms / fused.ms);
        }
        return 0;
    }

    private record Measured(double ms, long peak, double loss) {}

    /** Median wall time of loss + backward, and the largest peak of bytes allocated beyond what was live before. */
    private static Measured measure(String name, Tensor h, Tensor w, int warmup, int iters, PrintStream err,
                                    BiFunction<Tensor, Tensor, Tensor> loss) {
        double[] ms = new double[iters];
        long peak = 0;
        double value = 0;
        for (int i = 0; i < warmup + iters; i++) {
            long base = HostAllocator.liveBytes();
            HostAllocator.resetPeak();
            long t0 = System.nanoTime();
            try (var step = Scope.open()) {
                Tensor l = loss.apply(h, w);
                l.backward();
                value = l.item();
            }
            double elapsed = (System.nanoTime() - t0) / 1e6;
            peak = Math.max(peak, HostAllocator.peakBytes() - base);
            h.zeroGrad();
            w.zeroGrad();
            if (i >= warmup) ms[i - warmup] = elapsed;
            err.printf("loss %s %s %d/%d: %.1f ms%n", name, i < warmup ? "warmup" : "iter",
                    i < warmup ? i + 1 : i - warmup + 1, i < warmup ? warmup : iters, elapsed);
        }
        return new Measured(median(ms), peak, value);
    }

    static double median(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
