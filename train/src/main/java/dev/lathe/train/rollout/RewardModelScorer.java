package dev.lathe.train.rollout;

import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.RewardModel;
import dev.lathe.train.data.PromptExample;
import java.util.List;

/** A frozen reward model's score of prompt + response at the last real token (never trained, no autograd). */
public record RewardModelScorer(RewardModel model) implements CompletionScorer {
    @Override
    public double[] score(ResponseBatch batch, List<PromptExample> prompts) {
        try (var noGrad = GradMode.off()) {
            Tensor s = RewardModelPass.scores(model, batch);
            float[] f = s.toFloatArray();
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) out[i] = f[i];
            return out;
        }
    }
}
