package dev.lathe.train.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.memory.HostAllocator;
import dev.lathe.core.optim.AdamW;
import dev.lathe.core.optim.AdamWConfig;
import dev.lathe.kernels.DpoLoss;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.train.data.PreferenceExample;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A few AdamW steps of DPO on the fixture's pairs make the policy prefer the chosen completions more, in constant
 * host memory.
 */
class DpoTrainingTest {
    @AfterAll
    static void closeModels() {
        DpoFixture.close();
    }

    @Test
    void adamWStepsRaiseTheRewardMargins() throws IOException {
        List<PreferenceExample> rows = DpoFixture.examples();
        int n = rows.size();
        ReferenceLogProbs reference = ReferenceLogProbs.of(DpoFixture.reference(), rows);
        try (Gpt2Model policy = DpoFixture.loadPolicy();
             AdamW optimizer = new AdamW(policy.parameters(), AdamWConfig.pytorchDefaults().withWeightDecay(0))) {
            DpoObjective objective = new DpoObjective(policy, DpoLoss.Config.defaults());
            Map<String, Double> before = objective.evaluate(rows, reference, n);
            long afterFirstStep = 0;
            for (int step = 0; step < 5; step++) {
                policy.zeroGrad();
                // Two micro-batches of 3 rows per step.
                objective.accumulate(rows.subList(0, 3), reference.slice(0, 3), n);
                objective.accumulate(rows.subList(3, 6), reference.slice(3, 6), n);
                optimizer.step();
                // Gradients and moments exist from the first step on; activations must not outlive a step.
                if (step == 0) afterFirstStep = HostAllocator.liveBytes();
            }
            assertEquals(afterFirstStep, HostAllocator.liveBytes(), "host memory grew across steps");
            policy.zeroGrad();
            Map<String, Double> after = objective.evaluate(rows, reference, n);
            assertTrue(after.get("rewards/margins") > before.get("rewards/margins") + 0.5,
                    "margins " + before.get("rewards/margins") + " -> " + after.get("rewards/margins"));
            assertTrue(after.get("loss") < before.get("loss"), "loss " + before.get("loss") + " -> " + after.get("loss"));
        }
    }
}
