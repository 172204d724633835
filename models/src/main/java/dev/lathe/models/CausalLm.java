package dev.lathe.models;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.models.io.TokenizerFileCopy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only language model as trainers see it, independent of the family (GPT-2, Llama, Qwen2, Qwen3):
 * token ids in, final hidden states out, and the LM head that turns them into logits. Positions and the key
 * padding mask are inputs because they come from the batch's lengths, never from token ids.
 */
public interface CausalLm extends AutoCloseable {
    LmConfig config();

    /**
     * ids and positions I32 [B, T], keyMask null or I32 [B, T] (0 at padding) → hidden states [B, T, C] after the
     * final norm. Differentiable.
     */
    Tensor forward(Tensor ids, Tensor positions, Tensor keyMask);

    /**
     * {@link #forward(Tensor, Tensor, Tensor)} over packed rows: documents null or I32 [B, T], each contiguous run
     * of one id a sequence of its own that attends only within itself (its positions restart at 0 in
     * {@code positions}). Families without document masking accept only null.
     */
    default Tensor forward(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents) {
        if (documents != null) throw new UnsupportedOperationException(getClass().getSimpleName() + " has no document masking");
        return forward(ids, positions, keyMask);
    }

    /** An empty KV cache for {@code batch} rows of up to {@code maxLen} positions; the caller closes it. */
    KvCache newKvCache(int batch, int maxLen);

    /**
     * The newest Tq positions of a generation against {@code cache} (the prompt at prefill, Tq = 1 per decode
     * step): ids and positions I32 [B, Tq], keyMask null or I32 [B, cache.maxLen()] (0 at padding, over every
     * cache position) → hidden states [B, Tq, C] after the final norm. Appends the step's keys and values to the
     * cache and commits them ({@link KvCache#advance}). No autograd.
     */
    Tensor forwardCached(Tensor ids, Tensor positions, Tensor keyMask, KvCache cache);

    /** hidden [.., C] → logits [.., V]. Differentiable. */
    Tensor logits(Tensor hidden);

    /** The LM head weight [V, C] (the token embedding when tied). */
    Tensor lmHeadWeight();

    /** Every trainable parameter under its checkpoint name. */
    Map<String, Tensor> namedParameters();

    List<Tensor> parameters();

    /** Elements of every parameter. */
    default long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) n += p.numel();
        return n;
    }

    /** The device the parameters live on (the LM head's). */
    default Device device() {
        return lmHeadWeight().device();
    }

    /**
     * Moves every parameter to {@code device} in place, PyTorch's {@code model.to(device)}; ids, positions and
     * masks given to the model must then live there too. Loading stays on the host: load, then move.
     */
    default void to(Device device) {
        for (Tensor p : parameters()) p.relocate(device);
    }

    /** Frees every parameter's gradient. */
    void zeroGrad();

    /** Training mode (dropout active where enabled) or evaluation mode, PyTorch's {@code model.train(on)}. */
    void train(boolean on);

    boolean isTraining();

    /** Writes the model as a Hugging Face checkpoint folder, weights stored as {@code dtype}. */
    void save(Path dir, DType dtype) throws IOException;

    /** {@link #save(Path, DType)}, also copying the tokenizer files found in {@code tokenizerSource} (null: none). */
    default void save(Path dir, DType dtype, Path tokenizerSource) throws IOException {
        save(dir, dtype);
        if (tokenizerSource != null) TokenizerFileCopy.copy(tokenizerSource, dir);
    }

    /** Frees the parameters. */
    @Override
    void close();
}
