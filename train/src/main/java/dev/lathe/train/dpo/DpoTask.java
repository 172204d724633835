package dev.lathe.train.dpo;

import dev.lathe.core.Tensor;
import dev.lathe.models.CausalLm;
import dev.lathe.train.data.PreferenceExample;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.StepMetrics;
import dev.lathe.train.trainer.TrainingTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * DPO training (TRL's DPOTrainer) in the shared loop: each micro-batch goes through {@link DpoObjective} with
 * its reference log-probs from a {@link ReferenceSource}. The loss is a mean over the rows of the whole
 * optimizer step, and so are the metrics (TRL's names: rewards/chosen, rewards/rejected, rewards/accuracies,
 * rewards/margins, logps/chosen, logps/rejected), each micro-batch adding its rows' share.
 */
public final class DpoTask implements TrainingTask {
    private final DpoObjective objective;
    private final CausalLm policy;
    private final List<PreferenceExample> examples;
    private final ReferenceSource reference;
    private final ModelSaver saver;

    public DpoTask(DpoObjective objective, CausalLm policy, List<PreferenceExample> examples,
                   ReferenceSource reference, ModelSaver saver) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no preference examples");
        this.objective = objective;
        this.policy = policy;
        this.examples = List.copyOf(examples);
        this.reference = reference;
        this.saver = saver;
    }

    @Override
    public int size() {
        return examples.size();
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return TrainingTask.trainable(policy.namedParameters());
    }

    @Override
    public MicroStep accumulate(int[] rows, double normaliser, StepMetrics metrics) {
        List<PreferenceExample> batch = batch(rows);
        long tokens = 0;
        for (PreferenceExample row : batch) tokens += row.chosen().length + row.rejected().length;
        // The normaliser is the step's row count (one share per row), a whole number.
        Map<String, Double> parts = objective.accumulate(batch, reference.of(rows, batch), (int) Math.round(normaliser));
        return new MicroStep(addMetrics(parts, metrics), tokens);
    }

    @Override
    public boolean train(boolean on) {
        boolean was = policy.isTraining();
        policy.train(on);
        return was;
    }

    @Override
    public double evaluate(int[] rows, double normaliser, StepMetrics metrics) {
        List<PreferenceExample> batch = batch(rows);
        return addMetrics(objective.evaluate(batch, reference.of(rows, batch), (int) Math.round(normaliser)), metrics);
    }

    private List<PreferenceExample> batch(int[] rows) {
        List<PreferenceExample> batch = new ArrayList<>(rows.length);
        for (int r : rows) batch.add(examples.get(r));
        return batch;
    }

    /** Adds the objective's metric parts to {@code metrics}; returns its loss part. */
    private static double addMetrics(Map<String, Double> parts, StepMetrics metrics) {
        double loss = parts.remove("loss");
        parts.forEach(metrics::sum);
        return loss;
    }

    @Override
    public void save(Path dir) throws IOException {
        saver.save(dir);
    }
}
