package dev.lathe.train.sft;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.LossOps;
import dev.lathe.kernels.FusedLinearLogProbs;
import dev.lathe.models.CausalLm;
import dev.lathe.train.data.PaddedBatch;
import dev.lathe.train.data.SftExample;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.StepMetrics;
import dev.lathe.train.trainer.TrainingTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Supervised fine-tuning with TRL's completion-only (or, for conversations, assistant-only) loss: −Σ log p(token)
 * over the loss tokens of the whole optimizer step ({@link SftExample#lossMask()}: completion and eos, or assistant
 * contents and their end of turn), divided by their count — one token mean across micro-batches.
 *
 * <p>The LM head runs through {@link FusedLinearLogProbs#forwardBackward}: with weights −1/normaliser on the
 * counted tokens, one streamed pass gives the loss part, dh [N, C] and the head's gradient without the [N, V]
 * logits. Back-propagating the returned objective sends dh through the model and adds the head gradient to
 * wte's (the head is tied to the embedding, so autograd accumulates both into the same leaf).
 */
public final class SftTask implements TrainingTask {
    private final CausalLm model;
    private final List<SftExample> examples;
    private final int padId;
    private final ModelSaver saver;

    public SftTask(CausalLm model, List<SftExample> examples, int padId, ModelSaver saver) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no SFT examples");
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

    /** The row's loss tokens: the step's loss is a mean over all of them. */
    @Override
    public double normaliserShare(int example) {
        return examples.get(example).lossTokens();
    }

    @Override
    public MicroStep accumulate(int[] rows, double normaliser, StepMetrics metrics) {
        List<int[]> seqs = new ArrayList<>(rows.length);
        for (int r : rows) seqs.add(examples.get(r).ids());
        PaddedBatch batch = PaddedBatch.rightPadded(seqs, padId);
        int b = batch.rows(), t = batch.width(), n = b * t;
        int[] targets = new int[n];
        for (int r = 0; r < b; r++) examples.get(rows[r]).writeTargets(targets, r * t, LossOps.IGNORE_INDEX, t);
        // loss part = Σ −logp / normaliser over the counted tokens; a step without any has loss 0.
        float weight = normaliser > 0 ? (float) (-1.0 / normaliser) : 0f;
        float[] weights = new float[n];
        for (int i = 0; i < n; i++) weights[i] = targets[i] == LossOps.IGNORE_INDEX ? 0f : weight;

        Tensor hidden = model.forward(batch.idsTensor(), batch.positions(), batch.keyMask()); // [B, T, C]
        Tensor flat = hidden.view(n, hidden.dim(2));
        var head = FusedLinearLogProbs.forwardBackward(flat, model.lmHeadWeight(), Tensor.ofInts(targets),
                Tensor.of(weights, n));
        head.objective().backward();
        return new MicroStep(head.objective().item(), batch.realTokens());
    }

    @Override
    public void save(Path dir) throws IOException {
        saver.save(dir);
    }
}
