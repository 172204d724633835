package dev.lathe.models.generate;

/**
 * One decoding step's choice for each of B rows.
 *
 * @param tokens            chosen token ids [B]
 * @param logProbs          log-probability of each token under the unmodified distribution log_softmax(logits)
 *                          (what policy-gradient losses compare against)
 * @param processedLogProbs log-probability under the distribution actually sampled from (after temperature,
 *                          top-k, top-p); 0 for greedy
 */
public record Samples(int[] tokens, float[] logProbs, float[] processedLogProbs) {
    public Samples {
        if (logProbs.length != tokens.length || processedLogProbs.length != tokens.length) {
            throw new IllegalArgumentException("tokens, logProbs and processedLogProbs differ in length");
        }
    }

    public int batch() {
        return tokens.length;
    }
}
