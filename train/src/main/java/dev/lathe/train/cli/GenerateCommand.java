package dev.lathe.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.Device;
import dev.lathe.core.nn.Module;
import dev.lathe.models.CausalLm;
import dev.lathe.models.generate.Generation;
import dev.lathe.models.generate.GenerationConfig;
import dev.lathe.models.generate.Generator;
import dev.lathe.models.generate.SamplingConfig;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ./lathe generate}: batched sampling with the KV cache from a prompt (or a JSONL file of prompts), one
 * JSON line per completion with its text, ids and per-token log-probs.
 */
public final class GenerateCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String summary() {
        return "sample completions of a prompt (or a JSONL of prompts) with the KV cache";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe generate --model DIR (--prompt TEXT | --data FILE.jsonl) [--max-new-tokens 32]
                       [--temperature 0] [--top-k 0] [--top-p 1.0] [--seed 0] [--num-return-sequences 1] [--no-cache]
                       [--adapter DIR] [--device auto|cpu|cuda]
                Generates up to --max-new-tokens tokens per prompt, stopping at the model's eos. --temperature 0
                (the default) is greedy decoding; above 0 it samples after temperature, top-k (0 = off) and top-p,
                reproducibly for a given --seed. FILE.jsonl rows are {"prompt": ...}; prompts are batched with left
                padding. --no-cache recomputes the whole sequence at every step (the reference path; same tokens).
                Prints one line per completion: {"index","prompt","completion","completion_ids","logprobs","finished"}
                where logprobs are log p of each generated token under the model's unmodified distribution.
                --adapter DIR adds a LoRA adapter (PEFT's adapter_config.json + adapter_model.safetensors).
                --device picks where the model runs (auto: the GPU when one is usable); sampling reads each step's
                logits back to the host.""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        Path dir = ModelDirs.requireDir(args.string("model", null));
        String prompt = args.string("prompt", null), data = args.string("data", null);
        int maxNew = args.integer("max-new-tokens", 32);
        double temperature = args.number("temperature", 0);
        int topK = args.integer("top-k", 0);
        double topP = args.number("top-p", 1.0);
        long seed = args.integer("seed", 0);
        int copies = args.integer("num-return-sequences", 1);
        boolean noCache = args.has("no-cache") && args.bool("no-cache");
        String adapter = args.string("adapter", null);
        Device device = DeviceFlags.read(args).device();
        args.rejectUnknown();
        if ((prompt == null) == (data == null)) throw new UsageException("give exactly one of --prompt TEXT or --data FILE.jsonl");
        if (maxNew < 1) throw new UsageException("--max-new-tokens must be at least 1, got " + maxNew);
        if (copies < 1) throw new UsageException("--num-return-sequences must be at least 1, got " + copies);
        SamplingConfig sampling;
        try {
            sampling = new SamplingConfig((float) temperature, topK, (float) topP, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(dir);
        List<String> texts = new ArrayList<>();
        if (prompt != null) texts.add(prompt);
        else JsonlFile.forEach(Path.of(data), row -> texts.add(row.string("prompt")));
        if (texts.isEmpty()) throw new UsageException(data + ": no prompts");

        try (CausalLm model = ModelDirs.causalLm(dir)) {
            Module module = (Module) model; // every family is a Module
            LoraFlags.adapter(adapter, module);
            module.eval();
            model.to(device);
            ModelDirs.requireVocabFits(dir, tokenizer, model.config().vocabSize());
            int[][] prompts = new int[texts.size() * copies][];
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = tokenizer.encode(texts.get(i));
                if (ids.length == 0) throw new UsageException("prompt " + i + " is empty");
                for (int c = 0; c < copies; c++) prompts[i * copies + c] = ids;
            }
            GenerationConfig cfg = GenerationConfig.forModel(model.config(), sampling, maxNew).withCache(!noCache);
            long start = System.nanoTime();
            Generation g;
            try {
                g = Generator.generate(model, prompts, cfg);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            long generated = 0;
            for (int b = 0; b < g.batch(); b++) {
                int n = g.lengths()[b];
                generated += n;
                int[] ids = Arrays.copyOf(g.completions()[b], n);
                var row = JSON.createObjectNode();
                row.put("index", b);
                row.put("prompt", texts.get(b / copies));
                row.put("completion", tokenizer.decode(ids));
                var idArray = row.putArray("completion_ids");
                for (int id : ids) idArray.add(id);
                var lp = row.putArray("logprobs");
                for (int i = 0; i < n; i++) lp.add(g.logProbs()[b][i]);
                row.put("finished", n > 0 && ids[n - 1] == cfg.eosTokenId());
                out.println(JSON.writeValueAsString(row));
            }
            err.printf("generate: %d sequences, %d tokens in %.2f s (%.1f tokens/s, %s)%n", g.batch(), generated, secs,
                    generated / Math.max(secs, 1e-9), noCache ? "no cache" : "KV cache");
        }
        return 0;
    }
}
