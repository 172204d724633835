package dev.lathe.train.ppo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.DType;
import dev.lathe.kernels.KlEstimator;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.gpt2.Gpt2RewardModel;
import dev.lathe.train.rollout.CompletionScorer;
import dev.lathe.train.rollout.TinyModels;
import dev.lathe.train.trainer.OnlineTrainer;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PPO does its job: a reward for one token is learned, and the policy drifts from the reference. */
class PpoTrainingTest {
    private static final int LIKED = 3, STEPS = 30;

    /** The share of a response's tokens that are {@link #LIKED}. */
    private static final CompletionScorer LIKES_TOKEN = (batch, prompts) -> {
        double[] out = new double[batch.rows()];
        int[] lengths = batch.lengths();
        for (int b = 0; b < out.length; b++) {
            int[] r = batch.response(b);
            for (int j = 0; j < lengths[b]; j++) if (r[j] == LIKED) out[b] += 1.0 / lengths[b];
        }
        return out;
    };

    @Test
    void raisesTheScoreOfAnEasyReward(@TempDir Path dir) throws Exception {
        List<Map<String, Number>> history = train(dir);
        double early = TinyModels.mean(history, "objective/scores", 0, 5);
        double late = TinyModels.mean(history, "objective/scores", STEPS - 5, STEPS);
        assertTrue(late > early + 0.25, "score " + early + " → " + late);
        assertTrue(TinyModels.mean(history, "objective/kl", STEPS - 5, STEPS) > 0.05, "the policy left the reference");
    }

    private static List<Map<String, Number>> train(Path out) throws Exception {
        var config = new PpoConfig(0.05, KlEstimator.K1, 0.2, 0.2, 0.1, 1.0, 0.95, 4, 2, false, 1.0, 8, Double.NaN);
        try (Gpt2Model policy = TinyModels.policy(1); Gpt2Model reference = TinyModels.policy(1);
             Gpt2RewardModel value = TinyModels.valueModel(2)) {
            var task = new PpoTask(policy, reference, value, LIKES_TOKEN, TinyModels.prompts(32, 3), config, -1, 0, 5,
                    d -> policy.save(d, DType.F32));
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            return new OnlineTrainer("ppo", TinyModels.run(out, 3e-3, STEPS, 8), null, quiet, false).run(task);
        }
    }
}
