package dev.lathe.models;

/** What trainers need to know about any causal language model's configuration, whatever its family. */
public interface LmConfig {
    /** Width of the hidden states (C). */
    int hiddenSize();

    /** Rows of the embedding / LM head (V). */
    int vocabSize();

    /** Longest sequence the position encoding covers. */
    int maxPositions();

    /** End-of-sequence token, or null when the configuration names none. */
    Integer eosTokenId();

    /** Padding token, or null when the configuration names none (GPT-2 pads with its eos). */
    Integer padTokenId();
}
