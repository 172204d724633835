package dev.lathe.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.models.Padding;
import dev.lathe.models.io.SafetensorsShards;
import dev.lathe.models.io.SafetensorsWriter;
import dev.lathe.models.llama.LlamaConfig;
import dev.lathe.models.llama.LlamaModel;
import dev.lathe.models.lora.LoraConfig;
import dev.lathe.models.lora.LoraModel;
import dev.lathe.train.cli.Args;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * {@code ./lathe bench load-qwen3}: writes a random-weight checkpoint of Qwen3-0.6B's shape (BF16, two shards and
 * an index, as the Hub stores larger models), loads it, and runs fine-tuning steps (forward, next-token
 * cross-entropy, backward, AdamW) on CPU: full fine-tuning, or with {@code --lora-rank R} LoRA SFT (adapters of
 * rank R, alpha 2R, on all seven projections of every layer, the frozen projections re-stored as BF16). Reports
 * the write and load times, the peak native bytes of the load and of the steps (weights, gradients, AdamW
 * moments, activations), and the median step time.
 */
final class Qwen3LoadBench {
    private static final String CONFIG = """
            {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 151936, "hidden_size": 1024,
             "intermediate_size": 3072, "num_hidden_layers": %d, "num_attention_heads": 16, "num_key_value_heads": 8,
             "head_dim": 128, "hidden_act": "silu", "max_position_embeddings": 40960, "rms_norm_eps": 1e-06,
             "rope_theta": 1000000.0, "rope_scaling": null, "attention_bias": false, "tie_word_embeddings": true,
             "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "bfloat16"}""";

    private Qwen3LoadBench() {}

    static int run(Args args, PrintStream out, PrintStream err) {
        try {
            return measure(args, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int measure(Args args, PrintStream out, PrintStream err) throws IOException {
        int layers = BenchCommand.positive(args, "layers", 28), batch = BenchCommand.positive(args, "batch", 1);
        int seq = BenchCommand.positive(args, "seq", 64), iters = BenchCommand.positive(args, "iters", 2);
        int rank = args.has("lora-rank") ? BenchCommand.positive(args, "lora-rank", LoraConfig.DEFAULT_R) : 0;
        String dirFlag = args.string("dir", null);
        args.rejectUnknown();
        LlamaConfig config = LlamaConfig.parse((ObjectNode) new ObjectMapper().readTree(String.format(CONFIG, layers)));
        Path dir = dirFlag != null ? Path.of(dirFlag) : Files.createTempDirectory("lathe-qwen3-");
        try {
            long t0 = System.nanoTime();
            writeSharded(config, dir, err);
            double writeS = (System.nanoTime() - t0) / 1e9;

            long before = HostAllocator.liveBytes();
            HostAllocator.resetPeak();
            t0 = System.nanoTime();
            try (LlamaModel model = LlamaModel.load(dir)) {
                double loadS = (System.nanoTime() - t0) / 1e9;
                long loadPeak = HostAllocator.peakBytes() - before;
                long params = model.parameterCount();
                err.printf("bench load-qwen3: %,d parameters loaded in %.2f s, peak %,d bytes%n", params, loadS, loadPeak);
                List<Tensor> trainable = rank == 0 ? model.parameters() : loraSft(model, rank, dir, err);
                long trainableCount = trainable.stream().mapToLong(Tensor::numel).sum();
                double[] ms = steps(model, trainable, config, batch, seq, iters, err);
                long stepPeak = HostAllocator.peakBytes() - before;
                out.printf("{\"bench\":\"load-qwen3\",\"mode\":\"%s\",\"lora_rank\":%d,\"layers\":%d,\"parameters\":%d,"
                                + "\"trainable\":%d,\"batch\":%d,\"seq\":%d,"
                                + "\"write_s\":%.2f,\"load_s\":%.2f,\"load_peak_bytes\":%d,\"step_peak_bytes\":%d,"
                                + "\"first_step_ms\":%.0f,\"step_ms\":%.0f}%n",
                        rank == 0 ? "full" : "lora", rank, layers, params, trainableCount, batch, seq, writeS, loadS,
                        loadPeak, stepPeak, ms[0], LossBench.median(ms));
            }
        } finally {
            if (dirFlag == null) deleteTree(dir);
        }
        return 0;
    }

    /**
     * Attaches LoRA adapters of rank {@code rank} (alpha 2·rank) to q/k/v/o and gate/up/down of every layer and
     * re-stores the frozen projections as BF16; returns the adapters' weights, the only trainable tensors.
     */
    private static List<Tensor> loraSft(LlamaModel model, int rank, Path dir, PrintStream err) {
        LoraConfig config = LoraConfig.causalLm(rank, 2 * rank, 0, LoraConfig.LLAMA_PROJECTIONS, dir.toString());
        LoraModel lora = LoraModel.attach(model, config, new Random(2));
        lora.storeFrozenWeightsAsBf16();
        List<Tensor> trainable = List.copyOf(lora.trainableParameters().values());
        err.printf("bench load-qwen3: LoRA rank %d on %d layers, frozen projections in BF16%n", rank, lora.layers().size());
        return trainable;
    }

    /** Fine-tuning steps updating {@code trainable}; returns each step's milliseconds. */
    private static double[] steps(LlamaModel model, List<Tensor> trainable, LlamaConfig config, int batch, int seq,
                                  int iters, PrintStream err) {
        Random rng = new Random(1);
        int[] ids = new int[batch * seq], targets = new int[batch * seq], lengths = new int[batch];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(config.vocabSize());
        for (int i = 0; i < ids.length; i++) targets[i] = (i + 1) % seq == 0 ? LossOps.IGNORE_INDEX : ids[i + 1];
        Arrays.fill(lengths, seq);
        double[] ms = new double[iters];
        try (AdamW optimizer = new AdamW(trainable, AdamWConfig.pytorchDefaults())) {
            for (int it = 0; it < iters; it++) {
                long start = System.nanoTime();
                float loss;
                try (var step = Scope.open()) {
                    Tensor hidden = model.forward(Tensor.ofInts(ids, batch, seq),
                            Padding.positions(lengths, seq, Padding.Side.RIGHT), null);
                    Tensor l = LossOps.crossEntropy(model.logits(hidden).view(batch * seq, -1), Tensor.ofInts(targets),
                            LossOps.IGNORE_INDEX);
                    model.zeroGrad();
                    l.backward();
                    optimizer.step();
                    loss = l.getFloat(0);
                }
                ms[it] = (System.nanoTime() - start) / 1e6;
                err.printf("bench load-qwen3: step %d loss %.4f, %.0f ms%n", it, loss, ms[it]);
            }
        }
        model.zeroGrad();
        return ms;
    }

    /**
     * Writes config.json and the weights as two BF16 shards (the embedding and the first half of the layers, then
     * the rest) with model.safetensors.index.json, one shard's F32 tensors alive at a time.
     */
    private static void writeSharded(LlamaConfig config, Path dir, PrintStream err) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.json().toString());
        Map<String, String> index = new LinkedHashMap<>();
        Random rng = new Random(0);
        int half = config.numLayers() / 2;
        for (int shard = 1; shard <= 2; shard++) {
            String file = String.format("model-%05d-of-00002.safetensors", shard);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            try (var s = Scope.open()) {
                if (shard == 1) tensors.put("model.embed_tokens.weight", Tensor.randn(rng, 0.02f, config.vocabSize(), config.hiddenSize()));
                else tensors.put("model.norm.weight", ones(config.hiddenSize()));
                for (int l = shard == 1 ? 0 : half; l < (shard == 1 ? half : config.numLayers()); l++) layer(config, l, rng, tensors);
                SafetensorsWriter.write(dir.resolve(file), tensors, DType.BF16);
            }
            tensors.keySet().forEach(k -> index.put(k, file));
            err.printf("bench load-qwen3: wrote %s (%d tensors)%n", file, tensors.size());
        }
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.putObject("metadata");
        ObjectNode map = json.putObject("weight_map");
        index.forEach(map::put);
        Files.writeString(dir.resolve(SafetensorsShards.INDEX), json.toString());
    }

    /** One decoder layer's tensors under Hugging Face's names. */
    private static void layer(LlamaConfig c, int l, Random rng, Map<String, Tensor> out) {
        String p = "model.layers." + l + ".";
        int h = c.hiddenSize(), f = c.intermediateSize();
        out.put(p + "input_layernorm.weight", ones(h));
        out.put(p + "post_attention_layernorm.weight", ones(h));
        out.put(p + "self_attn.q_proj.weight", Tensor.randn(rng, 0.02f, c.qWidth(), h));
        out.put(p + "self_attn.k_proj.weight", Tensor.randn(rng, 0.02f, c.kvWidth(), h));
        out.put(p + "self_attn.v_proj.weight", Tensor.randn(rng, 0.02f, c.kvWidth(), h));
        out.put(p + "self_attn.o_proj.weight", Tensor.randn(rng, 0.02f, h, c.qWidth()));
        out.put(p + "self_attn.q_norm.weight", ones(c.headDim()));
        out.put(p + "self_attn.k_norm.weight", ones(c.headDim()));
        out.put(p + "mlp.gate_proj.weight", Tensor.randn(rng, 0.02f, f, h));
        out.put(p + "mlp.up_proj.weight", Tensor.randn(rng, 0.02f, f, h));
        out.put(p + "mlp.down_proj.weight", Tensor.randn(rng, 0.02f, h, f));
    }

    private static Tensor ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return Tensor.of(v, n);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
