package dev.lathe.models.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * The tokens of a batch of generations, step by step, with per-row stopping. A row's EOS token is kept (valid,
 * with its log-probabilities); after it the row is finished and each further step records the pad token with
 * mask 0 and log-probabilities 0, whatever was sampled for it.
 */
public final class GeneratedTokens {
    private final int batch;
    private final StoppingCriteria stop;
    private final boolean[] finished;
    private final List<int[]> tokens = new ArrayList<>(), mask = new ArrayList<>();
    private final List<float[]> logProbs = new ArrayList<>(), processedLogProbs = new ArrayList<>();

    public GeneratedTokens(int batch, StoppingCriteria stop) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        this.batch = batch;
        this.stop = stop;
        this.finished = new boolean[batch];
    }

    /**
     * Records one step's samples and returns the tokens to feed the model next: the samples, with the pad token
     * in rows that had already finished.
     */
    public int[] record(Samples s) {
        if (done()) throw new IllegalStateException("generation already done after " + steps() + " steps");
        if (s.batch() != batch) throw new IllegalArgumentException(s.batch() + " samples for a batch of " + batch);
        int[] tok = new int[batch], valid = new int[batch];
        float[] lp = new float[batch], plp = new float[batch];
        for (int b = 0; b < batch; b++) {
            if (finished[b]) {
                tok[b] = stop.padTokenId();
                continue;
            }
            tok[b] = s.tokens()[b];
            valid[b] = 1;
            lp[b] = s.logProbs()[b];
            plp[b] = s.processedLogProbs()[b];
            if (tok[b] == stop.eosTokenId()) finished[b] = true;
        }
        tokens.add(tok);
        mask.add(valid);
        logProbs.add(lp);
        processedLogProbs.add(plp);
        return tok.clone();
    }

    /** True once every row has finished or maxNewTokens steps are recorded. */
    public boolean done() {
        if (tokens.size() >= stop.maxNewTokens()) return true;
        for (boolean f : finished) if (!f) return false;
        return true;
    }

    public int steps() {
        return tokens.size();
    }

    /** Whether row b has produced its EOS. */
    public boolean finished(int b) {
        return finished[b];
    }

    /** Tokens [B][steps], pad after a row's EOS. */
    public int[][] tokens() {
        return transposeInts(tokens);
    }

    /** 1 where the token was generated (up to and including EOS), 0 for padding [B][steps]. */
    public int[][] mask() {
        return transposeInts(mask);
    }

    /** Log-probabilities under log_softmax(logits) [B][steps], 0 where mask is 0. */
    public float[][] logProbs() {
        return transposeFloats(logProbs);
    }

    /** Log-probabilities under the processed (sampled-from) distribution [B][steps], 0 where mask is 0. */
    public float[][] processedLogProbs() {
        return transposeFloats(processedLogProbs);
    }

    /** Valid tokens per row: the sum of its mask. */
    public int[] lengths() {
        int[] n = new int[batch];
        for (int[] step : mask) for (int b = 0; b < batch; b++) n[b] += step[b];
        return n;
    }

    private int[][] transposeInts(List<int[]> steps) {
        int[][] out = new int[batch][steps.size()];
        for (int t = 0; t < steps.size(); t++) for (int b = 0; b < batch; b++) out[b][t] = steps.get(t)[b];
        return out;
    }

    private float[][] transposeFloats(List<float[]> steps) {
        float[][] out = new float[batch][steps.size()];
        for (int t = 0; t < steps.size(); t++) for (int b = 0; b < batch; b++) out[b][t] = steps.get(t)[b];
        return out;
    }
}
