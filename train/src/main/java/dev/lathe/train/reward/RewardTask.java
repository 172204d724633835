package dev.lathe.train.reward;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.models.RewardModel;
import dev.lathe.train.data.PaddedBatch;
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
 * Reward-model training with the Bradley–Terry loss of TRL's RewardTrainer: −log σ(r_chosen − r_rejected),
 * averaged over the rows of the whole optimizer step. A row's reward is the model's score at the last real
 * token of prompt + response + eos (found from the row's length). Chosen and rejected sides of a micro-batch go
 * through the model as one batch of 2B rows.
 *
 * <p>Metrics (TRL's names): {@code accuracy} = mean[r_c > r_r], {@code margin} = mean(r_c − r_r), and
 * {@code mean_reward}, {@code min_reward}, {@code max_reward} over the chosen and rejected rewards together.
 */
public final class RewardTask implements TrainingTask {
    private final RewardModel model;
    private final List<PreferenceExample> examples;
    private final int padId;
    private final ModelSaver saver;

    public RewardTask(RewardModel model, List<PreferenceExample> examples, int padId, ModelSaver saver) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no preference examples");
        this.model = model;
        this.examples = List.copyOf(examples);
        this.padId = padId;
        this.saver = saver;
    }

    @Override
    public int size() {
        return examples.size();
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return TrainingTask.trainable(model.namedParameters());
    }

    @Override
    public MicroStep accumulate(int[] rows, double normaliser, StepMetrics metrics) {
        return score(rows, normaliser, metrics, true);
    }

    @Override
    public boolean train(boolean on) {
        boolean was = model.isTraining();
        model.train(on);
        return was;
    }

    @Override
    public double evaluate(int[] rows, double normaliser, StepMetrics metrics) {
        return score(rows, normaliser, metrics, false).loss();
    }

    /** The rows' loss part and metrics; with {@code backward}, the loss part's gradient too. */
    private MicroStep score(int[] rows, double normaliser, StepMetrics metrics, boolean backward) {
        int b = rows.length;
        List<int[]> seqs = new ArrayList<>(2 * b);
        for (int r : rows) seqs.add(examples.get(r).chosen());
        for (int r : rows) seqs.add(examples.get(r).rejected());
        PaddedBatch batch = PaddedBatch.rightPadded(seqs, padId);
        Device device = model.device(); // the batch is built on the host and moved there
        Tensor scores = model.scores(batch.idsTensor().moveTo(device), batch.positions().moveTo(device),
                batch.keyMask().moveTo(device), batch.lastTokenIndex());
        float[] s = scores.toFloatArray(); // [2B, 1]: chosen rows, then rejected rows

        // d/dr_c of −log σ(r_c − r_r) is −σ(r_r − r_c); d/dr_r is its negative. Each row weighs 1/normaliser.
        float[] grad = new float[2 * b];
        double loss = 0;
        for (int i = 0; i < b; i++) {
            double margin = (double) s[i] - s[b + i];
            loss += softplus(-margin) / normaliser;
            double g = -sigmoid(-margin) / normaliser;
            grad[i] = (float) g;
            grad[b + i] = (float) -g;
            metrics.sum("accuracy", (margin > 0 ? 1.0 : 0.0) / normaliser);
            metrics.sum("margin", margin / normaliser);
            metrics.sum("mean_reward", ((double) s[i] + s[b + i]) / (2 * normaliser));
            metrics.min("min_reward", Math.min(s[i], s[b + i]));
            metrics.max("max_reward", Math.max(s[i], s[b + i]));
        }
        if (backward) scores.backward(Tensor.of(grad, 2 * b, 1).moveTo(device));
        return new MicroStep(loss, batch.realTokens());
    }

    @Override
    public void save(Path dir) throws IOException {
        saver.save(dir);
    }

    /** log(1 + eˣ) without overflow: −log σ(−x). */
    private static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
