package dev.lathe.train.data;

/**
 * One prompt of an online-RL data file (PPO, GRPO): its token ids and, for verifiable rewards, the expected
 * answer (null when the row has none).
 */
public record PromptExample(int[] ids, String answer) {
    public PromptExample {
        if (ids.length == 0) throw new IllegalArgumentException("a prompt needs at least one token");
    }
}
