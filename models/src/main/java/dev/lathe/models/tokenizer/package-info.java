/**
 * GPT-2's byte-level BPE: {@link dev.lathe.models.tokenizer.ByteLevelBpeTokenizer} (load from vocab.json +
 * merges.txt or tokenizer.json, encode, decode, save) and {@link dev.lathe.models.tokenizer.BpeTrainer}.
 */
package dev.lathe.models.tokenizer;
