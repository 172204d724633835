package dev.lathe.models.llama;

import dev.lathe.core.DType;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.core.nn.Module;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.models.CausalLm;
import dev.lathe.models.io.SafetensorsShards;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * A Llama-family causal LM (Hugging Face's LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM): body
 * {@code model.*} and an LM head, tied to {@code model.embed_tokens} or its own {@code lm_head.weight} [V, C].
 * Parameters are F32 (trainable) whatever the checkpoint stores; {@link #freezeAsBf16()} turns the model into a
 * frozen one whose projection weights stay BF16.
 */
public final class LlamaModel extends Module implements CausalLm {
    private final LlamaConfig config;
    private final LlamaBody body;
    private final Tensor lmHead;
    private final DType checkpointDtype;

    private LlamaModel(LlamaConfig config, LlamaInit init, DType checkpointDtype) {
        this.config = config;
        this.body = child("model", new LlamaBody(config, init));
        this.lmHead = config.tieWordEmbeddings() ? null
                : child("lm_head", new WeightTable(config.vocabSize(), config.hiddenSize(), init)).weight;
        this.checkpointDtype = checkpointDtype;
    }

    /** A new model with Hugging Face's initialisation (weights N(0, 0.02²), norms 1, biases 0). */
    public static LlamaModel random(LlamaConfig config, Random rng) {
        return new LlamaModel(config, LlamaInit.random(rng), DType.F32);
    }

    /** Loads a Hugging Face folder: config.json and model.safetensors or a sharded index (F32, BF16 or F16). */
    public static LlamaModel load(Path dir) throws IOException {
        LlamaConfig config = LlamaCheckpoint.readConfig(dir);
        try (SafetensorsShards weights = SafetensorsShards.open(dir)) {
            LlamaModel model = new LlamaModel(config, LlamaInit.forLoading(), LlamaCheckpoint.storedType(weights));
            try {
                LlamaCheckpoint.load(weights, model.namedParameters(), config.tieWordEmbeddings() ? model.lmHeadWeight() : null);
                return model;
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    /** The floating type the embedding was stored in when loaded (F32 for a new model). */
    public DType checkpointDtype() {
        return checkpointDtype;
    }

    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask) {
        return body.forward(ids, positions, keyMask);
    }

    /** Packed rows: each document attends only within itself, its rotary positions restarting at 0. */
    @Override
    public Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents) {
        return body.forward(ids, positions, keyMask, documents);
    }

    /** One K and one V buffer per layer: num_key_value_heads heads of head_dim columns. */
    @Override
    public KvCache newKvCache(int batch, int maxLen) {
        return new KvCache(device(), config.numLayers(), batch, maxLen, config.kvHeads(), config.headDim());
    }

    @Override
    public Tensor forwardCached(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache) {
        return body.forwardCached(ids, positions, keyMask, cache);
    }

    /** hidden [.., C] → logits [.., V] = hidden @ Wᵀ (GEMM reads the transposed view in place). */
    @Override
    public Tensor logits(Tensor hidden) {
        int[] shape = hidden.shape();
        shape[shape.length - 1] = config.vocabSize();
        return MatmulOps.matmul(hidden.contiguous().view(-1, config.hiddenSize()), lmHeadWeight().t()).view(shape);
    }

    /** lm_head.weight [V, C], or model.embed_tokens.weight when tied. */
    @Override
    public Tensor lmHeadWeight() {
        return lmHead != null ? lmHead : body.embedTokens();
    }

    /**
     * Freezes every parameter and re-stores the decoder projections (q/k/v/o, gate/up/down) as BF16, widened per
     * GEMM: a reference model at about half its F32 memory. Embedding, head and norms stay F32.
     */
    public void freezeAsBf16() {
        for (Tensor p : parameters()) p.requiresGrad(false);
        for (LlamaLinear l : body.linears()) l.storeFrozenWeightAsBf16();
    }

    /** Saves as the family's *ForCausalLM: a tied head is written once, as embed_tokens (no lm_head.weight). */
    @Override
    public void save(Path dir, DType dtype) throws IOException {
        save(dir, dtype, null);
    }

    @Override
    public void save(Path dir, DType dtype, Path tokenizerSource) throws IOException {
        LlamaCheckpoint.save(dir, config, namedParameters(), dtype, tokenizerSource);
    }
}
