package dev.lathe.train.grpo;

import java.util.Locale;

/**
 * GRPO's settings, defaults TRL's GRPOConfig's ({@link #defaults()}).
 *
 * @param numGenerations      completions per prompt, one group (8)
 * @param beta                weight of the k3 KL to the reference; 0 loads no reference (0.04)
 * @param epsilon             ratio clip ε (0.2)
 * @param temperature         sampling temperature; log-probs use logits / temperature (1.0)
 * @param maxCompletionLength completion tokens generated at most (256)
 * @param lossType            how per-token losses are averaged (grpo)
 * @param scaleRewards        divide the group-centred rewards by the group's std + 1e-4 (true)
 */
public record GrpoConfig(int numGenerations, double beta, double epsilon, double temperature, int maxCompletionLength,
                         LossType lossType, boolean scaleRewards) {
    /** TRL's loss_type values. */
    public enum LossType {
        /** each completion's token mean, averaged over completions */
        GRPO,
        /** the token mean over the whole batch */
        BNPO,
        /** the token sum over batch · maxCompletionLength (Dr. GRPO) */
        DR_GRPO;

        /** grpo, bnpo or dr_grpo. */
        public static LossType parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    public GrpoConfig {
        if (numGenerations < 2) throw new IllegalArgumentException("num generations must be >= 2, got " + numGenerations);
        if (!(beta >= 0)) throw new IllegalArgumentException("beta must be >= 0, got " + beta);
        if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be > 0, got " + epsilon);
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        if (maxCompletionLength < 1) throw new IllegalArgumentException("max completion length must be >= 1");
    }

    public static GrpoConfig defaults() {
        return new GrpoConfig(8, 0.04, 0.2, 1.0, 256, LossType.GRPO, true);
    }
}
