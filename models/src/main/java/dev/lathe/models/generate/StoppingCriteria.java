package dev.lathe.models.generate;

/**
 * When generation stops: after maxNewTokens steps, or for a row once it has produced eosTokenId.
 *
 * @param maxNewTokens steps at most, >= 1
 * @param eosTokenId   token that finishes its row (emitted and kept); negative = none
 * @param padTokenId   token finished rows emit from then on
 */
public record StoppingCriteria(int maxNewTokens, int eosTokenId, int padTokenId) {
    public StoppingCriteria {
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
    }
}
