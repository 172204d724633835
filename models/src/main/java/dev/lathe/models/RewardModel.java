package dev.lathe.models;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.EmbeddingOps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A sequence-classification model as trainers see it, whatever its family (Hugging Face's
 * *ForSequenceClassification): a body that gives final hidden states and a bias-free score head
 * {@code score.weight} [num_labels, C] read at each row's last real token, whose index the caller gives from the
 * row's length (pad ids cannot tell: GPT-2 pads with its eos). Reward models, PPO's value model.
 */
public interface RewardModel extends AutoCloseable {
    /** The score head's parameter name, the same in every family. */
    String SCORE_WEIGHT = "score.weight";

    LmConfig config();

    /** Rows of the score head (a reward model has one). */
    int numLabels();

    /** ids, positions I32 [B, T], keyMask null or I32 [B, T] → hidden [B, T, C] after the final norm. Differentiable. */
    Tensor forward(Tensor ids, Tensor positions, Tensor keyMask);

    /** hidden [B, T, C] and each row's last real token index → scores [B, num_labels]. Differentiable. */
    Tensor scores(Tensor hidden, int[] lastIndex);

    /**
     * hidden [B, T, C] → the hidden state at each row's {@code lastIndex} [B, C], the input of the score head.
     * Differentiable: gathering rows of [B·T, C] is an embedding lookup, whose scatter-add backward routes the
     * gradient back.
     */
    static Tensor lastTokens(Tensor hidden, int[] lastIndex) {
        int b = hidden.dim(0), t = hidden.dim(1), c = hidden.dim(2);
        if (lastIndex.length != b) throw new IllegalArgumentException(lastIndex.length + " last indices for " + b + " rows");
        int[] rows = new int[b];
        for (int i = 0; i < b; i++) {
            if (lastIndex[i] < 0 || lastIndex[i] >= t) {
                throw new IllegalArgumentException("row " + i + ": last index " + lastIndex[i] + " outside [0, " + t + ")");
            }
            rows[i] = i * t + lastIndex[i];
        }
        // the row indices are built on the host and moved to hidden's device
        return EmbeddingOps.embedding(Tensor.ofInts(rows, b).moveTo(hidden.device()), hidden.contiguous().view(b * t, c));
    }

    /** {@link #forward} then {@link #scores(Tensor, int[])}: [B, num_labels]. */
    default Tensor scores(Tensor ids, Tensor positions, Tensor keyMask, int[] lastIndex) {
        return scores(forward(ids, positions, keyMask), lastIndex);
    }

    /** Every parameter under its checkpoint name (the head as {@link #SCORE_WEIGHT}). */
    Map<String, Tensor> namedParameters();

    List<Tensor> parameters();

    long parameterCount();

    /** The device the parameters live on. */
    default Device device() {
        return parameters().get(0).device();
    }

    /** Moves every parameter to {@code device} in place, PyTorch's {@code model.to(device)}. */
    default void to(Device device) {
        for (Tensor p : parameters()) p.relocate(device);
    }

    /** Frees every parameter's gradient. */
    void zeroGrad();

    /** Training mode (dropout active where enabled) or evaluation mode. */
    void train(boolean on);

    boolean isTraining();

    /**
     * Writes the family's *ForSequenceClassification folder, weights stored as {@code dtype}, and copies the
     * tokenizer files found in {@code tokenizerSource} (null: none).
     */
    void save(Path dir, DType dtype, Path tokenizerSource) throws IOException;

    /** Frees the parameters. */
    @Override
    void close();
}
