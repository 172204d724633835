package dev.lathe.models;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.ops.ElementwiseOps;
import dev.lathe.core.ops.ReduceOps;
import dev.lathe.models.Padding.Side;
import java.util.Random;

/** The fixed right-padded batch the dropout tests of both model families run, and how they compare results. */
public final class DropoutRows {
    private static final int[] LENGTHS = {7, 4};
    private static final int T = 7;
    /** Equal up to float rounding of a reordered sum; a dropped or rescaled unit moves values far more. */
    public static final float SAME = 1e-5f;

    private DropoutRows() {}

    /** {hidden states, the tied embedding's (LM head's) gradient of Σ hidden ⊙ G} of the batch (seeded ids and G). */
    public static float[][] forwardAndGradient(CausalLm model) {
        Random rng = new Random(3);
        int[] ids = new int[LENGTHS.length * T];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(model.config().vocabSize());
        model.zeroGrad();
        try (var s = Scope.open()) {
            Tensor hidden = model.forward(Tensor.ofInts(ids, LENGTHS.length, T), Padding.positions(LENGTHS, T, Side.RIGHT),
                    Padding.mask(LENGTHS, T, Side.RIGHT));
            float[] g = new float[(int) hidden.numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) rng.nextGaussian();
            ReduceOps.sum(ElementwiseOps.mul(hidden, Tensor.of(g, hidden.shape()))).backward();
            float[][] result = {hidden.toFloatArray(), model.lmHeadWeight().grad().toFloatArray()};
            model.zeroGrad();
            return result;
        }
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
