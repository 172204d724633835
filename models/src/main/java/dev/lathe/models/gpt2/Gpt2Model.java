package dev.lathe.models.gpt2;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.CausalLm;
import dev.lathe.models.ValueHead;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;

/**
 * GPT-2 with its tied LM head (Hugging Face's GPT2LMHeadModel): parameters named exactly as there
 * ({@code transformer.wte.weight}, {@code transformer.h.0.attn.c_attn.weight}, …), computed in F32 whatever the
 * checkpoint stores. A PPO value head ({@code v_head.summary}) can be attached; it is then trained, saved and
 * loaded with the model.
 */
public final class Gpt2Model extends Module implements CausalLm {
    private static final String VALUE_HEAD = "v_head";

    private final Gpt2Config config;
    private final Gpt2Transformer transformer;
    private final DType checkpointDtype;
    private ValueHead valueHead;

    private Gpt2Model(Gpt2Config config, Gpt2Init init, DType checkpointDtype) {
        this.config = config;
        this.transformer = child("transformer", new Gpt2Transformer(config, init));
        this.checkpointDtype = checkpointDtype;
    }

    /** A new model with Hugging Face's GPT-2 initialisation. */
    public static Gpt2Model random(Gpt2Config config, Random rng) {
        return new Gpt2Model(config, Gpt2Init.random(rng), DType.F32);
    }

    /**
     * Loads a Hugging Face GPT-2 folder (config.json + model.safetensors; F32, BF16 or F16 weights; keys with or
     * without {@code transformer.}). A {@code v_head.summary} in the file is attached as the value head.
     */
    public static Gpt2Model load(Path dir) throws IOException {
        Gpt2Config config = Gpt2Checkpoint.readConfig(dir);
        try (SafetensorsReader reader = Gpt2Checkpoint.openWeights(dir)) {
            String wte = Gpt2Checkpoint.PREFIX + "wte.weight";
            Gpt2Model model = new Gpt2Model(config, Gpt2Init.forLoading(), Gpt2Checkpoint.storedType(reader, wte));
            try {
                if (reader.contains(VALUE_HEAD + ".summary.weight")) model.attachValueHead(new Random(0));
                Set<String> unused = Gpt2Checkpoint.loadInto(reader, model.namedParameters());
                Gpt2Checkpoint.finishUnused(reader, unused, model.lmHeadWeight());
                return model;
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    /** The floating type the weights were stored in when loaded (F32 for a new model). */
    public DType checkpointDtype() {
        return checkpointDtype;
    }

    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return transformer.forward(ids, positions, keyMask);
    }

    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents) {
        return transformer.forward(ids, positions, keyMask, documents);
    }

    /** One K and one V buffer per layer, n_head heads of n_embd / n_head columns, on the model's device. */
    @Override
    public KvCache newKvCache(int batch, int maxLen) {
        return new KvCache(device(), config.nLayer(), batch, maxLen, config.nHead(), config.nEmbd() / config.nHead());
    }

    @Override
    public Tensor forwardCached(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        return transformer.forwardCached(ids, positions, keyMask, cache);
    }

    /** hidden [.., C] → logits [.., V] = hidden @ wteᵀ (GEMM reads the transposed view in place). */
    @Override
    public Tensor logits(Tensor hidden) {
        int c = config.nEmbd();
        int[] shape = hidden.shape();
        shape[shape.length - 1] = config.vocabSize();
        return MatmulOps.matmul(hidden.contiguous().view(-1, c), transformer.wte().t()).view(shape);
    }

    /** wte [V, C]: the head is tied to the token embedding. */
    @Override
    public Tensor lmHeadWeight() {
        return transformer.wte();
    }

    /** Adds a freshly initialised value head (PyTorch's Linear default init from {@code rng}) and returns it. */
    public ValueHead attachValueHead(Random rng) {
        if (valueHead != null) throw new IllegalStateException("a value head is already attached");
        valueHead = child(VALUE_HEAD, new ValueHead(config.nEmbd(), rng));
        return valueHead;
    }

    /** The attached value head, or null. */
    public ValueHead valueHead() {
        return valueHead;
    }

    /** Saves as GPT2LMHeadModel: the tied head is written once, as wte (no lm_head.weight), plus v_head if attached. */
    @Override
    public void save(Path dir, DType dtype) throws IOException {
        save(dir, dtype, null);
    }

    /** {@link #save(Path, DType)}, also copying the tokenizer files found in {@code tokenizerSource} (null: none). */
    public void save(Path dir, DType dtype, Path tokenizerSource) throws IOException {
        Gpt2Checkpoint.save(dir, config.forCausalLm(), namedParameters(), dtype, tokenizerSource);
    }
}
