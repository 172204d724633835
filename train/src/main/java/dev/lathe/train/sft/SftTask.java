package dev.lathe.train.sft;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.LossOps;
import dev.lathe.kernels.FusedLinearLogProbs;
import dev.lathe.models.CausalLm;
import dev.lathe.train.data.BfdPacking;
import dev.lathe.train.data.PackedBatch;
import dev.lathe.train.data.PaddedBatch;
import dev.lathe.train.data.SftExample;
import dev.lathe.train.trainer.ModelSaver;
import dev.lathe.train.trainer.StepMetrics;
import dev.lathe.train.trainer.TrainingTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 *
 * <p>With packing (TRL's packing_strategy "bfd" with padding-free attention) a training row holds several examples
 * back to back, placed by {@link BfdPacking}; each keeps its positions from 0, attends only within itself
 * (document masking in the attention kernel) and its loss tokens are those it has unpacked, so a packed step
 * has the loss and gradients of the same examples unpacked.
 */
public final class SftTask implements TrainingTask {
    private final CausalLm model;
    private final List<SftExample> examples;
    /** Example indices of each training row: one each, or with packing those packed into the row. */
    private final List<int[]> rows;
    private final boolean packed;
    private final int padId;
    private final ModelSaver saver;

    public SftTask(CausalLm model, List<SftExample> examples, int padId, ModelSaver saver) {
        this(model, examples, singletons(examples.size()), false, padId, saver);
    }

    private SftTask(CausalLm model, List<SftExample> examples, List<int[]> rows, boolean packed, int padId,
                    ModelSaver saver) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no SFT examples");
        this.model = model;
        this.examples = List.copyOf(examples);
        this.rows = rows;
        this.packed = packed;
        this.padId = padId;
        this.saver = saver;
    }

    /** The examples packed into rows of at most {@code maxLength} tokens; the task's rows are the packed rows. */
    public static SftTask packed(CausalLm model, List<SftExample> examples, int maxLength, int padId, ModelSaver saver) {
        int[] lengths = examples.stream().mapToInt(e -> e.ids().length).toArray();
        return new SftTask(model, examples, BfdPacking.pack(lengths, maxLength), true, padId, saver);
    }

    private static List<int[]> singletons(int n) {
        List<int[]> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) rows.add(new int[] {i});
        return rows;
    }

    /** Training rows: examples, or packed rows with packing. */
    @Override
    public int size() {
        return rows.size();
    }

    @Override
    public Map<String, Tensor> namedParameters() {
        return TrainingTask.trainable(model.namedParameters());
    }

    /** The row's loss tokens: the step's loss is a mean over all of them. */
    @Override
    public double normaliserShare(int row) {
        int tokens = 0;
        for (int e : rows.get(row)) tokens += examples.get(e).lossTokens();
        return tokens;
    }

    @Override
    public MicroStep accumulate(int[] batchRows, double normaliser, StepMetrics metrics) {
        Inputs in = inputs(batchRows);
        // loss part = Σ −logp / normaliser over the counted tokens; a step without any has loss 0.
        float weight = normaliser > 0 ? (float) (-1.0 / normaliser) : 0f;
        int n = in.targets().length;
        float[] weights = new float[n];
        for (int i = 0; i < n; i++) weights[i] = in.targets()[i] == LossOps.IGNORE_INDEX ? 0f : weight;
        Device device = model.device();
        var head = FusedLinearLogProbs.forwardBackward(hidden(in), model.lmHeadWeight(),
                Tensor.ofInts(in.targets()).moveTo(device), Tensor.of(weights, n).moveTo(device));
        head.objective().backward();
        return new MicroStep(head.objective().item(), in.tokens());
    }

    /** Σ −log p over the rows' counted tokens / normaliser, from the forward log-probs alone. */
    @Override
    public boolean train(boolean on) {
        boolean was = model.isTraining();
        model.train(on);
        return was;
    }

    @Override
    public double evaluate(int[] batchRows, double normaliser, StepMetrics metrics) {
        Inputs in = inputs(batchRows);
        float[] logp = FusedLinearLogProbs.forward(hidden(in), model.lmHeadWeight(),
                Tensor.ofInts(in.targets()).moveTo(model.device()), false).logp().toFloatArray();
        double nll = 0;
        for (int i = 0; i < logp.length; i++) if (in.targets()[i] != LossOps.IGNORE_INDEX) nll -= logp[i];
        return normaliser > 0 ? nll / normaliser : 0;
    }

    private Inputs inputs(int[] batchRows) {
        return packed ? packedInputs(batchRows) : paddedInputs(batchRows);
    }

    /** The model's last hidden states of the rows, flattened to [B·T, C]; the host-built inputs move to its device. */
    private Tensor hidden(Inputs in) {
        Device device = model.device();
        Tensor documents = in.documents() == null ? null : in.documents().moveTo(device);
        Tensor hidden = model.forward(in.ids().moveTo(device), in.positions().moveTo(device),
                in.keyMask().moveTo(device), documents); // [B, T, C]
        return hidden.view(in.targets().length, hidden.dim(2));
    }

    /** One example a row, right-padded. */
    private Inputs paddedInputs(int[] batchRows) {
        List<int[]> seqs = new ArrayList<>(batchRows.length);
        for (int r : batchRows) seqs.add(examples.get(rows.get(r)[0]).ids());
        PaddedBatch batch = PaddedBatch.rightPadded(seqs, padId);
        int t = batch.width();
        int[] targets = new int[batch.rows() * t];
        for (int r = 0; r < batch.rows(); r++) {
            examples.get(rows.get(batchRows[r])[0]).writeTargets(targets, r * t, LossOps.IGNORE_INDEX, t);
        }
        return new Inputs(batch.idsTensor(), batch.positions(), batch.keyMask(), null, targets, batch.realTokens());
    }

    /** Packed rows: each example's targets stop at its own last token, so none predicts the next example. */
    private Inputs packedInputs(int[] batchRows) {
        List<List<int[]>> seqs = new ArrayList<>(batchRows.length);
        for (int r : batchRows) {
            List<int[]> row = new ArrayList<>();
            for (int e : rows.get(r)) row.add(examples.get(e).ids());
            seqs.add(row);
        }
        PackedBatch batch = PackedBatch.of(seqs, padId);
        int t = batch.width();
        int[] targets = new int[batch.rows() * t];
        Arrays.fill(targets, LossOps.IGNORE_INDEX);
        for (int r = 0; r < batch.rows(); r++) {
            int[] members = rows.get(batchRows[r]);
            for (int j = 0; j < members.length; j++) {
                SftExample e = examples.get(members[j]);
                e.writeTargets(targets, r * t + batch.starts()[r][j], LossOps.IGNORE_INDEX, e.ids().length);
            }
        }
        return new Inputs(batch.idsTensor(), batch.positionsTensor(), batch.keyMask(), batch.documentsTensor(),
                targets, batch.realTokens());
    }

    /**
     * A micro-batch's model inputs on the host (documents null unless packed), next-token targets [B*T], and real
     * tokens.
     */
    private record Inputs(Tensor ids, Tensor positions, Tensor keyMask, Tensor documents, int[] targets, long tokens) {}

    @Override
    public void save(Path dir) throws IOException {
        saver.save(dir);
    }
}
