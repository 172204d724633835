package dev.lathe.models.lora;

import dev.lathe.core.DType;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.ops.LossOps;
import dev.lathe.models.CausalLm;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import java.util.Random;

/**
 * The two left-padded rows the LoRA tests of both model families run (ids [2, T], lengths 6 and 4), and what they
 * do with them: logits without autograd, the next-token loss's backward, non-zero adapter B matrices, BF16
 * rounding of a weight.
 */
public final class LoraTestRows {
    public static final int[] IDS = {1, 4, 2, 9, 3, 7, 10, 10, 5, 0, 8, 6};
    public static final int[] LENGTHS = {6, 4};
    public static final int T = 6;

    private LoraTestRows() {}

    /** Every adapter's B drawn from N(0, 0.5²), so adapters change the output (a fresh B is zero). */
    public static void randomiseB(LoraModel lora, Random rng) {
        for (AdaptableLayer layer : lora.layers().values()) {
            Tensor b = layer.lora().b().weight();
            float[] v = new float[(int) b.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * 0.5);
            b.copyFrom(v);
        }
    }

    /** w rounded to BF16 in place (what a BF16 base stores). */
    public static void roundToBf16(Tensor w) {
        try (Tensor narrow = Tensor.empty(DType.BF16, w.shape())) {
            Backends.cpu().copy(w, narrow);
            Backends.cpu().copy(narrow, w);
        }
    }

    /** Logits [2·T, V] of the two left-padded rows, without autograd. */
    public static float[] logits(CausalLm model) {
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            return model.logits(model.forward(Tensor.ofInts(IDS, 2, T), Padding.positions(LENGTHS, T, Side.LEFT),
                    Padding.mask(LENGTHS, T, Side.LEFT))).toFloatArray();
        }
    }

    /** Backward of the rows' mean next-token cross-entropy (each row's last position ignored). */
    public static void backwardOfLoss(CausalLm model) {
        int[] targets = new int[IDS.length];
        for (int i = 0; i < targets.length; i++) targets[i] = (i + 1) % T == 0 ? LossOps.IGNORE_INDEX : IDS[i + 1];
        try (var s = Scope.open()) {
            Tensor logits = model.logits(model.forward(Tensor.ofInts(IDS, 2, T), Padding.positions(LENGTHS, T, Side.LEFT),
                    Padding.mask(LENGTHS, T, Side.LEFT))).view(2 * T, -1);
            LossOps.crossEntropy(logits, Tensor.ofInts(targets), LossOps.IGNORE_INDEX).backward();
        }
    }
}
