package dev.lathe.train.pipeline;

import java.util.List;

/**
 * One row of the pipeline's final table.
 *
 * @param model          base, sft, dpo or ppo
 * @param formatValidity fraction of completions that are a sorted permutation of the prompt's digits ended by eos
 * @param preferredRate  fraction of completions that are valid and ascending (the preference)
 * @param rewardMean     mean reward-model score of the completions
 * @param klToSft        mean Σ_t log π(y_t) − log π_sft(y_t) over the sampled completions (nats per sequence)
 * @param samples        two sampled prompt + completion texts
 */
public record ModelSummary(String model, double formatValidity, double preferredRate, double rewardMean,
                           double klToSft, List<String> samples) {}
