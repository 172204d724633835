package dev.lathe.models.generate;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.CausalLm;
import java.util.Arrays;

/**
 * Completes a batch of prompts with any {@link CausalLm}: one sampling step per token, per-row EOS stopping,
 * log-probabilities for policy-gradient training. Positions and key masks come from the prompts' lengths (GPT-2
 * pads with its eos, so ids cannot tell). Reproducible: the tokens are determined by the model, the prompts and
 * the sampling seed; the cached and the recomputing paths choose the same tokens.
 */
public final class Generator {
    private Generator() {}

    /** Generates up to cfg.maxNewTokens() tokens after each prompt (every prompt at least one token). No autograd. */
    public static Generation generate(CausalLm model, int[][] prompts, GenerationConfig cfg) {
        check(model, prompts, cfg);
        Sampler sampler = new Sampler(cfg.sampling());
        GeneratedTokens tokens = new GeneratedTokens(prompts.length, cfg.stoppingCriteria());
        try (var noGrad = GradMode.off();
             Decoding decoding = cfg.useCache()
                     ? new CachedDecoding(model, prompts, cfg.paddingSide(), cfg.padTokenId(), cfg.maxNewTokens())
                     : new FullDecoding(model, prompts, cfg.paddingSide(), cfg.padTokenId())) {
            int[] next = null;
            while (!tokens.done()) {
                try (var step = Scope.open()) { // frees the step's activations and logits
                    Tensor logits = next == null ? decoding.firstLogits() : decoding.nextLogits(next);
                    next = tokens.record(sampler.sample(logits));
                }
            }
        }
        int[][] copies = Arrays.stream(prompts).map(int[]::clone).toArray(int[][]::new);
        return new Generation(copies, tokens.tokens(), tokens.logProbs(), tokens.processedLogProbs(),
                tokens.mask(), tokens.lengths());
    }

    private static void check(CausalLm model, int[][] prompts, GenerationConfig cfg) {
        if (prompts == null || prompts.length == 0) throw new IllegalArgumentException("no prompts to generate from");
        int vocab = model.config().vocabSize(), positions = model.config().maxPositions();
        checkToken("padTokenId", cfg.padTokenId(), vocab);
        int longest = positions - cfg.maxNewTokens();
        for (int b = 0; b < prompts.length; b++) {
            int[] p = prompts[b];
            if (p == null || p.length == 0) throw new IllegalArgumentException("prompt " + b + " is empty");
            if (p.length > longest) {
                throw new IllegalArgumentException("prompt " + b + " has " + p.length + " tokens, but the model's "
                        + positions + " positions leave room for at most " + Math.max(longest, 0)
                        + " prompt tokens before " + cfg.maxNewTokens() + " new ones");
            }
            for (int i = 0; i < p.length; i++) checkToken("prompt " + b + " token " + i, p[i], vocab);
        }
    }

    private static void checkToken(String what, int id, int vocab) {
        if (id < 0 || id >= vocab) throw new IllegalArgumentException(what + " = " + id + " is outside the vocabulary [0, " + vocab + ")");
    }
}
