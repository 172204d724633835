package dev.lathe.train.grpo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.DType;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.train.rollout.TinyModels;
import dev.lathe.train.rollout.VerifiableRewards;
import dev.lathe.train.trainer.OnlineTrainer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GRPO does its job: a regex reward on the completion's text is learned, and the policy drifts from the reference. */
class GrpoTrainingTest {
    private static final int STEPS = 30;

    /** Token i reads as the letter 'a' + i. */
    private static String letters(int[] ids) {
        StringBuilder s = new StringBuilder();
        for (int id : ids) s.append((char) ('a' + id));
        return s.toString();
    }

    @Test
    void raisesARegexReward(@TempDir Path dir) throws Exception {
        var config = new GrpoConfig(8, 0.04, 0.2, 1.0, 6, GrpoConfig.LossType.GRPO, true);
        List<Map<String, Number>> history;
        try (Gpt2Model policy = TinyModels.policy(1); Gpt2Model reference = TinyModels.policy(1)) {
            var reward = VerifiableRewards.named("regex:^d", GrpoTrainingTest::letters);
            var task = new GrpoTask(policy, reference, reward, TinyModels.prompts(16, 3), config, -1, 0, 5,
                    d -> policy.save(d, DType.F32));
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            history = new OnlineTrainer("grpo", TinyModels.run(dir, 3e-3, STEPS, 4), null, quiet, false).run(task);
        }
        double early = TinyModels.mean(history, "reward", 0, 5), late = TinyModels.mean(history, "reward", STEPS - 5, STEPS);
        assertTrue(late > early + 0.3, "reward " + early + " → " + late);
        assertTrue(TinyModels.mean(history, "kl", STEPS - 5, STEPS) > 0, "the policy left the reference");
    }
}
