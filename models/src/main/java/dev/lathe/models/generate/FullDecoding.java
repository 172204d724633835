package dev.lathe.models.generate;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import java.util.Arrays;

/**
 * The reference decoding: every step runs the model's full forward over each row's whole sequence (prompt and
 * tokens so far, padded on the configured side, positions and key mask from the rows' lengths) and reads the
 * logits at each row's last token. Cost grows with the square of the length; nothing is kept between steps.
 */
final class FullDecoding implements Decoding {
    private final CausalLm model;
    private final Padding.Side side;
    private final int pad;
    private final int[][] rows;

    FullDecoding(CausalLm model, int[][] prompts, Padding.Side side, int pad) {
        this.model = model;
        this.side = side;
        this.pad = pad;
        this.rows = Arrays.stream(prompts).map(int[]::clone).toArray(int[][]::new);
    }

    @Override
    public Tensor firstLogits() {
        return lastTokenLogits();
    }

    @Override
    public Tensor nextLogits(int[] tokens) {
        for (int b = 0; b < rows.length; b++) {
            rows[b] = Arrays.copyOf(rows[b], rows[b].length + 1);
            rows[b][rows[b].length - 1] = tokens[b];
        }
        return lastTokenLogits();
    }

    /** The forward over every row's whole sequence, then the logits [B, V] at each row's last token. */
    private Tensor lastTokenLogits() {
        int[] lengths = Arrays.stream(rows).mapToInt(r -> r.length).toArray();
        int t = Arrays.stream(lengths).max().orElseThrow();
        Device device = model.device(); // ids, positions and mask are built on the host and moved there
        Tensor ids = Tensor.ofInts(Decoding.paddedIds(rows, t, side, pad), rows.length, t).moveTo(device);
        Tensor hidden = model.forward(ids, Padding.positions(lengths, t, side).moveTo(device),
                Padding.mask(lengths, t, side).moveTo(device));
        return Decoding.lastTokenLogits(model, hidden, Padding.lastTokenIndex(lengths, t, side));
    }

    @Override
    public void close() {}
}
