package dev.lathe.train.data;

/** One tokenized preference row: prompt + chosen + [eos] and prompt + rejected + [eos], each possibly truncated. */
public record PreferenceExample(int[] chosen, int[] rejected) {}
