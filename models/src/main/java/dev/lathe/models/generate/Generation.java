package dev.lathe.models.generate;

import java.util.Arrays;

/**
 * A batch of prompts and their completions. Completions have one column per generation step (the same count
 * for every row); a row's EOS is a real token (mask 1), the columns after it hold the pad token with mask 0 and
 * log-probabilities 0.
 *
 * @param prompts           the prompts as given, unpadded [B][len_b]
 * @param completions       generated token ids [B][steps]
 * @param logProbs          log-probability of each token under log_softmax of the raw logits [B][steps]
 *                          (what PPO's ratios compare against)
 * @param processedLogProbs log-probability under the distribution sampled from (after temperature, top-k,
 *                          top-p; 0 for greedy) [B][steps]
 * @param mask              1 for generated tokens up to and including EOS, 0 after [B][steps]
 * @param lengths           generated tokens per row: the sum of its mask [B]
 */
public record Generation(int[][] prompts, int[][] completions, float[][] logProbs, float[][] processedLogProbs,
                         int[][] mask, int[] lengths) {
    public int batch() {
        return prompts.length;
    }

    /** Generation steps run: the width of completions. */
    public int steps() {
        return completions.length == 0 ? 0 : completions[0].length;
    }

    /** Row b's prompt followed by its valid completion tokens (EOS included). */
    public int[] sequence(int b) {
        int[] out = Arrays.copyOf(prompts[b], prompts[b].length + lengths[b]);
        System.arraycopy(completions[b], 0, out, prompts[b].length, lengths[b]);
        return out;
    }
}
