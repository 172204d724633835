package dev.lathe.models.generate;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.nn.KvCache;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import java.util.Arrays;

/**
 * Decoding with a KV cache of T0 + maxNewTokens positions, T0 the longest prompt. The prefill runs the padded
 * prompts (cache columns 0..T0-1, padding masked out of the keys); step s writes every row's new token at
 * column T0 + s with position len_b + s, so with right padding a row's gap between its prompt and its new
 * tokens is masked and its positions continue from its own length.
 */
final class CachedDecoding implements Decoding {
    private final CausalLm model;
    private final int[][] prompts;
    private final Padding.Side side;
    private final int pad;
    private final int[] lengths;
    private final int promptWidth;
    private final KvCache cache;
    /** I32 [B, maxLen] flat: the prompts' padding mask in columns 0..T0-1, 1 on every generated column. */
    private final int[] keyMask;
    private int step;

    CachedDecoding(CausalLm model, int[][] prompts, Padding.Side side, int pad, int maxNewTokens) {
        this.model = model;
        this.prompts = prompts;
        this.side = side;
        this.pad = pad;
        this.lengths = new int[prompts.length];
        for (int b = 0; b < prompts.length; b++) lengths[b] = prompts[b].length;
        this.promptWidth = Arrays.stream(lengths).max().orElseThrow();
        int maxLen = promptWidth + maxNewTokens;
        this.keyMask = new int[prompts.length * maxLen];
        Arrays.fill(keyMask, 1);
        int[] promptMask;
        try (Tensor m = Padding.mask(lengths, promptWidth, side)) {
            promptMask = m.toIntArray();
        }
        for (int b = 0; b < prompts.length; b++) {
            System.arraycopy(promptMask, b * promptWidth, keyMask, b * maxLen, promptWidth);
        }
        this.cache = model.newKvCache(prompts.length, maxLen);
    }

    @Override
    public Tensor firstLogits() {
        int batch = prompts.length, t = promptWidth;
        Device device = model.device(); // ids, positions and mask are built on the host and moved there
        Tensor ids = Tensor.ofInts(Decoding.paddedIds(prompts, t, side, pad), batch, t).moveTo(device);
        Tensor hidden = model.forwardCached(ids, Padding.positions(lengths, t, side).moveTo(device), keyMaskTensor(),
                cache);
        return Decoding.lastTokenLogits(model, hidden, Padding.lastTokenIndex(lengths, t, side));
    }

    @Override
    public Tensor nextLogits(int[] tokens) {
        int batch = prompts.length;
        int[] positions = new int[batch];
        for (int b = 0; b < batch; b++) positions[b] = lengths[b] + step;
        step++;
        Device device = model.device();
        Tensor hidden = model.forwardCached(Tensor.ofInts(tokens, batch, 1).moveTo(device),
                Tensor.ofInts(positions, batch, 1).moveTo(device), keyMaskTensor(), cache);
        return model.logits(hidden.view(batch, hidden.dim(2)));
    }

    private Tensor keyMaskTensor() {
        return Tensor.ofInts(keyMask, prompts.length, cache.maxLen()).moveTo(model.device());
    }

    @Override
    public void close() {
        cache.close();
    }
}
