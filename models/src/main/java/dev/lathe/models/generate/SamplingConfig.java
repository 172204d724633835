package dev.lathe.models.generate;

/**
 * How a token is drawn from a row of logits, in Hugging Face's order: divide by temperature, keep the top-k
 * tokens, keep the top-p nucleus, sample. temperature 0 means greedy (argmax; top-k, top-p and seed unused).
 *
 * @param temperature >= 0; 0 = greedy
 * @param topK        keep the k highest logits (ties with the k-th kept too); 0 = off
 * @param topP        keep the smallest set of most likely tokens whose probability sums to >= topP; 1 = off
 * @param seed        seed of the generation's random stream
 */
public record SamplingConfig(float temperature, int topK, float topP, long seed) {
    public SamplingConfig {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        if (!(topP > 0f && topP <= 1f)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
    }

    /** Argmax decoding. */
    public static SamplingConfig greedy() {
        return new SamplingConfig(0f, 0, 1f, 0L);
    }

    /** Plain sampling from softmax(logits / temperature). */
    public static SamplingConfig sampling(float temperature, long seed) {
        return new SamplingConfig(temperature, 0, 1f, seed);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
