package dev.lathe.train.cli;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.LossOps;
import dev.lathe.kernels.FusedLinearLogProbs;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./lathe score}: Σ log p of each row's completion under a causal LM, TRL's convention for plain text:
 * ids = tok(prompt) + tok(completion) + [eos], and the sum runs over the completion tokens and the eos.
 */
public final class ScoreCommand implements Command {
    /** One tokenized row: the prompt's length and the full ids. */
    private record Example(int promptLength, int[] ids) {}

    @Override
    public String name() {
        return "score";
    }

    @Override
    public String summary() {
        return "sum of completion log-probs of each {\"prompt\",\"completion\"} line under a model";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe score --model DIR --data FILE.jsonl [--batch-size 8] [--adapter DIR] [--device auto|cpu|cuda]
                For every line {"prompt": ..., "completion": ...} prints, in order, one line
                {"logps": Σ log p over the completion tokens and eos, "num_tokens": n}, with
                ids = tok(prompt) + tok(completion) + [eos]. DIR holds config.json, model.safetensors and the
                tokenizer files; --adapter adds a LoRA adapter (PEFT's adapter_config.json +
                adapter_model.safetensors). Rows are batched with right padding; positions come from each row's length.
                --device picks where the model runs (auto: the GPU when one is usable).""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        Path dir = ModelDirs.requireDir(args.string("model", null));
        String data = args.string("data", null);
        int batchSize = args.integer("batch-size", 8);
        String adapter = args.string("adapter", null);
        Device device = DeviceFlags.read(args).device();
        args.rejectUnknown();
        if (data == null) throw new UsageException("--data FILE.jsonl is required");
        if (batchSize < 1) throw new UsageException("--batch-size must be at least 1, got " + batchSize);
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(dir);
        List<Example> examples = new ArrayList<>();
        try (CausalLm model = ModelDirs.causalLm(dir)) {
            Module module = (Module) model; // every family is a Module
            LoraFlags.adapter(adapter, module);
            module.eval();
            model.to(device);
            ModelDirs.requireVocabFits(dir, tokenizer, model.config().vocabSize());
            int maxLen = model.config().maxPositions();
            JsonlFile.forEach(Path.of(data), row -> {
                int[] prompt = tokenizer.encode(row.string("prompt"));
                int[] completion = tokenizer.encode(row.string("completion"));
                int[] ids = new int[prompt.length + completion.length + 1];
                System.arraycopy(prompt, 0, ids, 0, prompt.length);
                System.arraycopy(completion, 0, ids, prompt.length, completion.length);
                ids[ids.length - 1] = tokenizer.eosTokenId();
                if (prompt.length == 0) throw new UsageException(row.file() + " line " + row.line() + ": empty \"prompt\"");
                if (ids.length > maxLen) {
                    throw new UsageException(row.file() + " line " + row.line() + ": " + ids.length
                            + " tokens, longer than the model's " + maxLen + " positions");
                }
                examples.add(new Example(prompt.length, ids));
            });
            long start = System.nanoTime();
            try (var noGrad = GradMode.off()) {
                for (int from = 0; from < examples.size(); from += batchSize) {
                    List<Example> batch = examples.subList(from, Math.min(examples.size(), from + batchSize));
                    for (double[] r : scoreBatch(model, batch, tokenizer.eosTokenId())) {
                        out.printf("{\"logps\":%s,\"num_tokens\":%d}%n", Double.toString(r[0]), (int) r[1]);
                    }
                    err.printf("score: %d/%d rows%n", from + batch.size(), examples.size());
                }
            }
            err.printf("score: %d rows in %.2f s%n", examples.size(), (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }

    /** {logps, num_tokens} per row; rows right-padded with eos, targets −100 outside each completion. */
    private static List<double[]> scoreBatch(CausalLm model, List<Example> batch, int padId) {
        int b = batch.size(), t = 0;
        for (Example e : batch) t = Math.max(t, e.ids().length);
        int[] lengths = new int[b], ids = new int[b * t], targets = new int[b * t];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(targets, LossOps.IGNORE_INDEX);
        for (int r = 0; r < b; r++) {
            Example e = batch.get(r);
            lengths[r] = e.ids().length;
            System.arraycopy(e.ids(), 0, ids, r * t, e.ids().length);
            // The logits at position p predict token p + 1: completion and eos are predicted from promptLength - 1 on.
            for (int p = e.promptLength() - 1; p < e.ids().length - 1; p++) targets[r * t + p] = e.ids()[p + 1];
        }
        List<double[]> results = new ArrayList<>();
        try (var s = Scope.open()) {
            Device device = model.device(); // ids, positions, mask and targets are built on the host and moved there
            Tensor hidden = model.forward(Tensor.ofInts(ids, b, t).moveTo(device),
                    Padding.positions(lengths, t, Padding.Side.RIGHT).moveTo(device),
                    Padding.mask(lengths, t, Padding.Side.RIGHT).moveTo(device));
            int c = hidden.dim(-1);
            float[] logp = FusedLinearLogProbs.forward(hidden.view(b * t, c), model.lmHeadWeight(),
                    Tensor.ofInts(targets).moveTo(device), false).logp().toFloatArray();
            for (int r = 0; r < b; r++) {
                double sum = 0;
                int n = 0;
                for (int p = 0; p < t; p++) {
                    if (targets[r * t + p] == LossOps.IGNORE_INDEX) continue;
                    sum += logp[r * t + p];
                    n++;
                }
                results.add(new double[] {sum, n});
            }
        }
        return results;
    }
}
