package dev.lathe.models.generate;

import dev.lathe.models.LmConfig;
import dev.lathe.models.Padding;

/**
 * How {@link Generator} completes a batch of prompts.
 *
 * @param sampling     how each token is chosen (temperature, top-k, top-p, seed)
 * @param maxNewTokens tokens generated per row at most, >= 1
 * @param eosTokenId   token that finishes its row (kept, with mask 1); negative = none
 * @param padTokenId   token that pads prompts and follows a row's EOS (GPT-2 pads with its eos)
 * @param paddingSide  where prompts shorter than the longest are padded: LEFT (as TRL pads for generation) or
 *                     RIGHT (each row still continues from its own last token)
 * @param useCache     true: prefill a KV cache and feed one token per step; false: recompute the full forward
 *                     over every row's whole sequence each step (the reference path)
 */
public record GenerationConfig(SamplingConfig sampling, int maxNewTokens, int eosTokenId, int padTokenId,
                               Padding.Side paddingSide, boolean useCache) {
    public GenerationConfig {
        if (sampling == null) throw new IllegalArgumentException("sampling config is required");
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (padTokenId < 0) throw new IllegalArgumentException("padTokenId must be a token id >= 0, got " + padTokenId);
        if (paddingSide == null) throw new IllegalArgumentException("padding side is required");
    }

    /** Left padding, with the KV cache. */
    public static GenerationConfig of(SamplingConfig sampling, int maxNewTokens, int eosTokenId, int padTokenId) {
        return new GenerationConfig(sampling, maxNewTokens, eosTokenId, padTokenId, Padding.Side.LEFT, true);
    }

    /**
     * {@link #of} with the model configuration's eos (none if it names none) and pad token (its eos when it names
     * no pad, as GPT-2 does).
     */
    public static GenerationConfig forModel(LmConfig model, SamplingConfig sampling, int maxNewTokens) {
        Integer eos = model.eosTokenId(), pad = model.padTokenId() != null ? model.padTokenId() : eos;
        if (pad == null) throw new IllegalArgumentException("the model configuration names neither a pad nor an eos token");
        return of(sampling, maxNewTokens, eos == null ? -1 : eos, pad);
    }

    public GenerationConfig withPaddingSide(Padding.Side side) {
        return new GenerationConfig(sampling, maxNewTokens, eosTokenId, padTokenId, side, useCache);
    }

    public GenerationConfig withCache(boolean cache) {
        return new GenerationConfig(sampling, maxNewTokens, eosTokenId, padTokenId, paddingSide, cache);
    }

    StoppingCriteria stoppingCriteria() {
        return new StoppingCriteria(maxNewTokens, eosTokenId, padTokenId);
    }
}
