package dev.lathe.train.dpo;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.kernels.FusedLinearLogProbs;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import java.util.Arrays;
import java.util.List;

/**
 * Σ log p over each sequence's completion tokens (positions promptLength.. , the eos included) under a causal
 * LM, for a batch of sequences right-padded to the longest; positions and the key mask come from the lengths.
 * Differentiable with respect to the model's parameters when grad mode is on (the policy), plain values under
 * {@code GradMode.off()} (the reference). The [N, V] logits never exist: {@link FusedLinearLogProbs} streams them.
 */
public final class SequenceLogProbs {
    /** sums [N] (in the open scope, with autograd history when recorded) and each sequence's completion tokens. */
    public record Result(Tensor sums, int[] tokenCounts) {
        /** Per-sequence mean log-prob [N] (IPO's form): sums / tokenCounts. Differentiable. */
        public Tensor means() {
            float[] inverse = new float[tokenCounts.length];
            for (int i = 0; i < inverse.length; i++) inverse[i] = 1f / tokenCounts[i];
            return ElementwiseOps.mul(sums, Tensor.of(inverse, inverse.length).moveTo(sums.device()));
        }
    }

    private SequenceLogProbs() {}

    /**
     * @param sequences     full token ids of each row (prompt then completion)
     * @param promptLengths tokens of each row's prompt, at least 1 and less than the row's length
     */
    public static Result compute(CausalLm model, List<int[]> sequences, int[] promptLengths) {
        int n = sequences.size();
        if (promptLengths.length != n) {
            throw new IllegalArgumentException(n + " sequences but " + promptLengths.length + " prompt lengths");
        }
        int t = 0;
        for (int[] s : sequences) t = Math.max(t, s.length);
        // Padding holds token 0: with right padding no real token attends to it (causal order, and the key mask
        // says so too), and its targets are ignored, so its value never matters.
        int[] lengths = new int[n], counts = new int[n], ids = new int[n * t], targets = new int[n * t];
        Arrays.fill(targets, LossOps.IGNORE_INDEX);
        for (int r = 0; r < n; r++) {
            int[] s = sequences.get(r);
            int prompt = promptLengths[r];
            if (prompt < 1 || prompt >= s.length) {
                throw new IllegalArgumentException("row " + r + ": prompt of " + prompt + " tokens in a sequence of " + s.length);
            }
            lengths[r] = s.length;
            counts[r] = s.length - prompt;
            System.arraycopy(s, 0, ids, r * t, s.length);
            // The logits at position p predict token p + 1: the completion is predicted from prompt − 1 on.
            for (int p = prompt - 1; p < s.length - 1; p++) targets[r * t + p] = s[p + 1];
        }
        Device device = model.device(); // ids, positions, mask and targets are built on the host and moved there
        Tensor hidden = model.forward(Tensor.ofInts(ids, n, t).moveTo(device),
                Padding.positions(lengths, t, Padding.Side.RIGHT).moveTo(device),
                Padding.mask(lengths, t, Padding.Side.RIGHT).moveTo(device));
        Tensor logp = FusedLinearLogProbs.forward(hidden.view(n * t, hidden.dim(-1)), model.lmHeadWeight(),
                Tensor.ofInts(targets).moveTo(device), false).logp();
        // Ignored positions hold 0, so each row's sum over T is its completion sum: [N, T] @ ones [T, 1].
        Tensor sums = MatmulOps.matmul(logp.view(n, t), Tensor.full(1f, t, 1).moveTo(device)).view(n);
        return new Result(sums, counts);
    }
}
