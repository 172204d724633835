package dev.lathe.train.trainer;

import dev.lathe.core.Scope;
import dev.lathe.core.autograd.GradMode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Evaluation during training (Hugging Face's {@code eval_strategy="steps"}): the task's loss and metrics over
 * every held-out example without gradients, normalised over the whole set exactly as a training step is over its
 * examples (SFT: one token mean; pair-wise losses: one row mean), in micro-batches of {@code batchSize} in order.
 *
 * @param task the training objective over the evaluation rows (sharing the trained model)
 * @param everySteps evaluate after every this many steps; 0: at each checkpoint and at the last step
 */
public record Evaluation(TrainingTask task, int batchSize, int everySteps) {
    public Evaluation {
        if (batchSize < 1) throw new IllegalArgumentException("eval batch size must be >= 1, got " + batchSize);
        if (everySteps < 0) throw new IllegalArgumentException("eval steps must be >= 0, got " + everySteps);
    }

    /** Whether to evaluate after {@code step} of {@code total}, checkpoints every {@code saveSteps} (0: none). */
    public boolean due(long step, long total, int saveSteps) {
        if (everySteps > 0) return step % everySteps == 0;
        return step == total || (saveSteps > 0 && step % saveSteps == 0);
    }

    /** {@code eval_loss} then {@code eval_<metric>} for each of the task's metrics (TRL's names). */
    public Map<String, Number> run() {
        int n = task.size();
        double normaliser = 0;
        for (int i = 0; i < n; i++) normaliser += task.normaliserShare(i);
        StepMetrics own = new StepMetrics();
        double loss = 0;
        boolean wasTraining = task.train(false); // no dropout while evaluating, as Hugging Face's Trainer
        try {
            for (int from = 0; from < n; from += batchSize) {
                int[] batch = new int[Math.min(n, from + batchSize) - from];
                for (int i = 0; i < batch.length; i++) batch[i] = from + i;
                try (var s = Scope.open(); var noGrad = GradMode.off()) {
                    loss += task.evaluate(batch, normaliser, own);
                }
            }
        } finally {
            task.train(wasTraining);
        }
        Map<String, Number> metrics = new LinkedHashMap<>();
        metrics.put("eval_loss", loss);
        own.values().forEach((name, v) -> metrics.put("eval_" + name, v));
        return metrics;
    }
}
