package dev.lathe.bench;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.cpu.CpuGemm;
import dev.lathe.train.cli.Args;
import dev.lathe.train.cli.Command;
import dev.lathe.train.cli.UsageException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Random;

/**
 * {@code ./lathe bench gemm|loss ...}. {@code gemm --m M --n N --k K} times the backend's GEMM (C[M,N] = A[M,K] Bᵀ with B stored
 * [N,K], a PyTorch Linear) and prints one JSON line with the median time and GFLOP/s. For statistically careful
 * numbers use the JMH benchmarks (see bench/NOTES.md); this is the quick check. {@code loss} is {@link LossBench}.
 */
public final class BenchCommand implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "quick benchmarks: bench gemm --m M --n N --k K | bench loss --vocab V --tokens N --hidden D | bench lora [--layers 4 --embd 768 --rank 8] | bench train --preset gpt2-124m (JSON line on stdout)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe bench gemm --m M --n N --k K [--trans-a false|true] [--trans-b true|false] [--warmup 10]
                       [--warmup-seconds 3] [--iters 30] [--device auto|cpu]
                Times C[M,N] = op(A) @ op(B) on the chosen backend; op(B) reads B stored [N,K] (a Linear weight)
                when --trans-b is true (default), op(A) reads A stored [K,M] when --trans-a is true (a weight
                gradient's xᵀ). Untimed calls run until both --warmup calls and --warmup-seconds have passed (the JIT
                finishes compiling the packing and blocking loops only after a few hundred ms of calls), then --iters
                timed ones. Progress goes to stderr; the last stdout line is one JSON object:
                {"bench":"gemm","m":..,"n":..,"k":..,"trans_a":..,"trans_b":..,"ms_median":..,"ms_min":..,"gflops":..,
                "gflops_best":..,"impl":..}
                usage: ./lathe bench loss --vocab V --tokens N --hidden D [--chunk-mib 64] [--warmup 1] [--iters 3]
                Times forward + backward of the masked cross-entropy from hidden states through the LM head, fused
                (streamed chunks, one pass) against the unfused autograd composition (full [N, V] logits). The last
                stdout line: {"bench":"loss",..,"fused_ms":..,"unfused_ms":..,"fused_peak_bytes":..,"unfused_peak_bytes":..}
                usage: ./lathe bench lora [--layers 4] [--embd 768] [--heads 12] [--batch 2] [--seq 128] [--rank 8]
                       [--targets c_attn,c_proj,c_fc] [--warmup 1] [--iters 3]
                Training steps of a random-weight GPT-2: full fine-tuning, LoRA (F32 base) and LoRA over a BF16 base;
                the last stdout line gives each mode's trainable parameters, peak native bytes and median step ms.
                usage: ./lathe bench load-qwen3 [--layers 28] [--batch 1] [--seq 64] [--iters 2] [--lora-rank R] [--dir DIR]
                Writes a random Qwen3-0.6B-shaped checkpoint (BF16, two shards + index; kept in DIR if given), loads it
                and runs full fine-tuning steps, or with --lora-rank LoRA SFT steps (all seven projections, frozen
                base in BF16); the last stdout line gives load time, peak bytes and step ms.
                usage: ./lathe bench train [--preset gpt2-124m|tiny] [--batch-size 4] [--seq-len 64] [--steps 5]
                       [--warmup 2] [--device cpu]
                Full fp32 training steps of a random GPT-2 on random tokens (forward, fused LM-head loss, backward,
                grad clip 1.0, AdamW). The last stdout line: {"bench":"train",..,"ms_per_step":.. (median),
                "tokens_per_second":..,"forward_ms":..,"head_ms":..,"backward_ms":..,"clip_ms":..,"adamw_ms":..,
                "peak_rss_bytes":..}""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) {
        var pos = args.positionals();
        if (!pos.isEmpty() && pos.get(0).equals("loss")) return LossBench.run(args, out, err);
        if (!pos.isEmpty() && pos.get(0).equals("lora")) return LoraBench.run(args, out, err);
        if (!pos.isEmpty() && pos.get(0).equals("load-qwen3")) return Qwen3LoadBench.run(args, out, err);
        if (!pos.isEmpty() && pos.get(0).equals("train")) return TrainBench.run(args, out, err);
        if (pos.isEmpty() || !pos.get(0).equals("gemm")) {
            throw new UsageException("expected a benchmark name: gemm, loss, lora, load-qwen3 or train (see ./lathe bench --help)");
        }
        int m = positive(args, "m", 1024), n = positive(args, "n", 1024), k = positive(args, "k", 1024);
        boolean transA = args.has("trans-a") && args.bool("trans-a");
        boolean transB = !args.has("trans-b") || args.bool("trans-b");
        // Warm up by count and by time: C2 compiles the kernel within the first call (OSR), but the packing and
        // blocking loops, called a few times per product, reach their final compiled form only after ~40 calls
        // of a 256x2304x768 product (-XX:+PrintCompilation), the time per call halving on the way.
        int warmup = Math.max(0, args.integer("warmup", 10)), iters = positive(args, "iters", 30);
        long warmupNanos = (long) (Math.max(0, args.number("warmup-seconds", 3.0)) * 1e9);
        Backend backend;
        try {
            backend = Backends.select(args.string("device", "auto"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        args.rejectUnknown();
        double[] ms = new double[iters];
        Random rng = new Random(0);
        try (var s = Scope.open()) {
            Tensor a = transA ? Tensor.randn(rng, 1f, k, m) : Tensor.randn(rng, 1f, m, k);
            Tensor aOp = transA ? a.t() : a;
            Tensor b = transB ? Tensor.randn(rng, 1f, n, k) : Tensor.randn(rng, 1f, k, n);
            Tensor bOp = transB ? b.t() : b;
            Tensor c = Tensor.empty(m, n);
            long warmupStart = System.nanoTime();
            int warmed = 0;
            while (warmed < warmup || System.nanoTime() - warmupStart < warmupNanos) {
                long t0 = System.nanoTime();
                backend.matmul(aOp, bOp, c, 1f, 0f);
                warmed++;
                err.printf("gemm %dx%dx%d warmup %d: %.3f ms%n", m, n, k, warmed, (System.nanoTime() - t0) / 1e6);
            }
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                backend.matmul(aOp, bOp, c, 1f, 0f);
                ms[i] = (System.nanoTime() - t0) / 1e6;
                err.printf("gemm %dx%dx%d iter %d/%d: %.3f ms%n", m, n, k, i + 1, iters, ms[i]);
            }
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = LossBench.median(ms);
        double gflops = 2.0 * m * n * k / (median * 1e6);
        out.printf("{\"bench\":\"gemm\",\"backend\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"trans_a\":%b,\"trans_b\":%b,"
                        + "\"ms_median\":%.4f,\"ms_min\":%.4f,\"gflops\":%.4g,\"gflops_best\":%.4g,\"impl\":\"%s\"}%n",
                backend.name(), m, n, k, transA, transB, median, sorted[0], gflops, 2.0 * m * n * k / (sorted[0] * 1e6),
                backend.name().equals("cpu") ? CpuGemm.implementation() : backend.name());
        return 0;
    }

    static int positive(Args args, String flag, int fallback) {
        int v = args.integer(flag, fallback);
        if (v <= 0) throw new UsageException("--" + flag + " must be positive, got " + v);
        return v;
    }
}
