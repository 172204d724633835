package dev.lathe.train.rollout;

import dev.lathe.train.data.PromptExample;
import java.util.List;

/**
 * The scalar reward of each completion of a {@link ResponseBatch}: a reward model, or a verifiable rule on the
 * completion's text. {@code prompts.get(b)} is the prompt row that row b of the batch answers.
 */
@FunctionalInterface
public interface CompletionScorer {
    double[] score(ResponseBatch batch, List<PromptExample> prompts);
}
