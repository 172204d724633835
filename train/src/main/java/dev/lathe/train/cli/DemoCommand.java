package dev.lathe.train.cli;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.Embedding;
import dev.lathe.core.nn.LayerNorm;
import dev.lathe.core.nn.Linear;
import dev.lathe.core.nn.Module;
import dev.lathe.core.nn.TransformerBlock;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.core.optim.GradClip;
import dev.lathe.core.optim.LrSchedule;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * {@code ./lathe demo}: trains a small causal transformer from scratch, on the engine alone, to sort digits
 * ("3 1 2 | 1 2 3"), with the loss on the answer tokens only — the completion-only loss SFT uses. It shows the
 * tensor engine, autograd, fused attention, AdamW and the schedule working end to end in well under a minute.
 */
public final class DemoCommand implements Command {
    private static final int SEP = 10; // token after the digits 0-9
    private static final int VOCAB = 11;

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "train a small transformer from scratch to sort digits (metrics as JSON lines)";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe demo [--steps 600] [--digits 5] [--batch-size 32] [--lr 3e-3] [--seed 0] [--device auto|cpu|cuda]
                Trains a 2-block causal transformer (d_model 64, 4 heads) to map "d1..dn |" to the sorted digits,
                with cross-entropy on the answer tokens only. Progress goes to stderr; stdout gets one JSON line
                per logged step {"step","loss","learning_rate","grad_norm"} and a final
                {"eval_exact_match","eval_token_accuracy","samples":[...]} line.""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) {
        int steps = atLeast(args, "steps", 600, 1);
        int digits = atLeast(args, "digits", 5, 2);
        int batch = atLeast(args, "batch-size", 32, 1);
        float lr = (float) args.number("lr", 3e-3);
        long seed = args.integer("seed", 0);
        Device device = DeviceFlags.read(args).device();
        args.rejectUnknown();
        if (digits > 20) throw new UsageException("--digits must be at most 20");

        Random rng = new Random(seed);
        int t = 2 * digits + 1;
        try (var model = new SortModel(t, rng, device);
             var opt = new AdamW(model.parameters(), AdamWConfig.pytorchDefaults().withLr(lr).withWeightDecay(0.01f))) {
            err.printf("demo: %,d parameters, sequences of %d tokens, %d steps of %d examples%n",
                    model.parameterCount(), t, steps, batch);
            LrSchedule schedule = LrSchedule.cosine(steps / 20, steps);
            long start = System.nanoTime();
            for (int step = 0; step < steps; step++) {
                opt.setLr((float) (lr * schedule.factor(step)));
                int[][] data = examples(rng, batch, digits);
                double gradNorm;
                float loss;
                try (var s = Scope.open()) {
                    Tensor l = model.loss(data[0], data[1], batch);
                    model.zeroGrad();
                    l.backward();
                    GradClip.Clip clip = GradClip.measure(model.parameters(), 1.0);
                    gradNorm = clip.norm();
                    opt.step(clip.coefficient());
                    loss = l.item();
                }
                if (step % 25 == 0 || step == steps - 1) {
                    double secs = (System.nanoTime() - start) / 1e9;
                    double eta = secs / (step + 1) * (steps - step - 1);
                    err.printf("step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  eta %.0fs%n", step + 1, steps, loss,
                            opt.lr(), (step + 1.0) * batch * t / secs, eta);
                    out.printf("{\"step\":%d,\"loss\":%.6f,\"learning_rate\":%.6g,\"grad_norm\":%.6f}%n",
                            step + 1, loss, opt.lr(), gradNorm);
                }
            }
            evaluate(model, new Random(seed + 1), digits, out, err);
        }
        return 0;
    }

    /** Greedy decoding of held-out examples: exact match of the whole sorted answer, and per-token accuracy. */
    private static void evaluate(SortModel model, Random rng, int digits, PrintStream out, PrintStream err) {
        int n = 200, exact = 0, tokens = 0, right = 0;
        List<String> samples = new ArrayList<>();
        try (var noGrad = GradMode.off()) {
            for (int i = 0; i < n; i++) {
                int[] prompt = examples(rng, 1, digits)[0];
                int[] seq = Arrays.copyOf(prompt, 2 * digits + 1);
                for (int p = digits + 1; p < seq.length; p++) seq[p] = model.next(seq, p);
                int[] want = prompt.clone();
                Arrays.sort(want, 0, digits);
                boolean ok = true;
                for (int p = 0; p < digits; p++) {
                    tokens++;
                    if (seq[digits + 1 + p] == want[p]) right++;
                    else ok = false;
                }
                if (ok) exact++;
                if (samples.size() < 3) samples.add(render(seq, digits));
            }
        }
        err.printf("eval: exact match %.1f%%, token accuracy %.1f%%; e.g. %s%n", 100.0 * exact / n,
                100.0 * right / tokens, samples.get(0));
        out.printf("{\"eval_exact_match\":%.4f,\"eval_token_accuracy\":%.4f,\"samples\":[%s]}%n", (double) exact / n,
                (double) right / tokens, String.join(",", samples.stream().map(s -> "\"" + s + "\"").toList()));
    }

    private static String render(int[] seq, int digits) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < seq.length; i++) sb.append(i == digits ? "| " : seq[i] + " ");
        return sb.toString().trim();
    }

    /**
     * {ids, targets} flattened [batch * (2n+1)]: ids = digits, SEP, sorted digits; targets predict the next
     * token on the answer positions only (-100 elsewhere).
     */
    private static int[][] examples(Random rng, int batch, int digits) {
        int t = 2 * digits + 1;
        int[] ids = new int[batch * t], targets = new int[batch * t];
        Arrays.fill(targets, LossOps.IGNORE_INDEX);
        for (int b = 0; b < batch; b++) {
            int[] d = new int[digits];
            for (int i = 0; i < digits; i++) d[i] = rng.nextInt(10);
            int[] sorted = d.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < digits; i++) {
                ids[b * t + i] = d[i];
                ids[b * t + digits + 1 + i] = sorted[i];
            }
            ids[b * t + digits] = SEP;
            for (int p = digits; p < t - 1; p++) targets[b * t + p] = ids[b * t + p + 1];
        }
        return new int[][] {ids, targets};
    }

    private static int atLeast(Args args, String flag, int fallback, int min) {
        int v = args.integer(flag, fallback);
        if (v < min) throw new UsageException("--" + flag + " must be at least " + min + ", got " + v);
        return v;
    }

    /** Token + position embeddings, two pre-norm blocks, final LayerNorm, untied head. */
    private static final class SortModel extends Module {
        private static final int DIM = 64, HEADS = 4;
        private final int t;
        private final Embedding wte, wpe;
        private final TransformerBlock h0, h1;
        private final LayerNorm lnF;
        private final Linear head;
        private final Tensor positions;

        /** Initialised on the host from {@code rng}, then moved to {@code device}. */
        SortModel(int t, Random rng, Device device) {
            this.t = t;
            wte = child("wte", new Embedding(VOCAB, DIM, 0.1f, rng));
            wpe = child("wpe", new Embedding(t, DIM, 0.1f, rng));
            h0 = child("h.0", new TransformerBlock(DIM, HEADS, 1e-5f, rng));
            h1 = child("h.1", new TransformerBlock(DIM, HEADS, 1e-5f, rng));
            lnF = child("ln_f", new LayerNorm(DIM, 1e-5f));
            head = child("lm_head", new Linear(DIM, VOCAB, false, rng));
            int[] pos = new int[t];
            for (int i = 0; i < t; i++) pos[i] = i;
            to(device);
            positions = Scope.escape(() -> Tensor.ofInts(pos, t).moveTo(device));
        }

        /** ids [batch, t] → logits [batch * t, V]. */
        Tensor logits(int[] ids, int batch) {
            Tensor x = ElementwiseOps.add(wte.forward(Tensor.ofInts(ids, batch, t).moveTo(positions.device())),
                    wpe.forward(positions));
            return head.forward(lnF.forward(h1.forward(h0.forward(x, null), null))).view(batch * t, VOCAB);
        }

        Tensor loss(int[] ids, int[] targets, int batch) {
            return LossOps.crossEntropy(logits(ids, batch), Tensor.ofInts(targets).moveTo(positions.device()),
                    LossOps.IGNORE_INDEX);
        }

        /** Greedy next token at position p given seq[0..p-1] (later positions are masked by causality). */
        int next(int[] seq, int p) {
            try (var s = Scope.open()) {
                float[] l = logits(seq, 1).slice(p - 1, p).toFloatArray();
                int best = 0;
                for (int j = 1; j < 10; j++) if (l[j] > l[best]) best = j;
                return best;
            }
        }

        @Override
        public void close() {
            positions.close();
            super.close();
        }
    }
}
