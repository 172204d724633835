package dev.lathe.train.rollout;

import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.gpt2.Gpt2RewardModel;
import dev.lathe.models.io.Gpt2Config;
import dev.lathe.train.data.PromptExample;
import dev.lathe.train.trainer.TrainingConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A 16-token GPT-2 small enough to train online in seconds, its prompts, and a run's settings. */
public final class TinyModels {
    public static final int VOCAB = 16;
    public static final Gpt2Config CONFIG = Gpt2Config.of(VOCAB, 32, 32, 2, 4);

    private TinyModels() {}

    /** Same seed, same weights: a policy and its frozen reference. */
    public static Gpt2Model policy(long seed) {
        return Gpt2Model.random(CONFIG, new Random(seed));
    }

    /** A one-label sequence classifier over the same vocabulary (a value model). */
    public static Gpt2RewardModel valueModel(long seed) {
        return Gpt2RewardModel.random(CONFIG.forSequenceClassification(1, 0), new Random(seed));
    }

    /** {@code n} prompts of 1 to 4 tokens. */
    public static List<PromptExample> prompts(int n, long seed) {
        Random rng = new Random(seed);
        List<PromptExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] ids = new int[1 + rng.nextInt(4)];
            for (int j = 0; j < ids.length; j++) ids[j] = rng.nextInt(VOCAB);
            out.add(new PromptExample(ids, null));
        }
        return out;
    }

    /** Constant learning rate {@code lr}, {@code steps} steps of {@code batch} prompts, no checkpoints. */
    public static TrainingConfig run(Path out, double lr, int steps, int batch) {
        return new TrainingConfig(out, lr, 0, 0.9, 0.999, 1e-8, "constant", 0, 0, batch, 1, steps, 0, 1.0, 7, 0);
    }

    /** Mean of {@code metric} over the steps [from, to). */
    public static double mean(List<java.util.Map<String, Number>> history, String metric, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += history.get(i).get(metric).doubleValue();
        return s / (to - from);
    }
}
