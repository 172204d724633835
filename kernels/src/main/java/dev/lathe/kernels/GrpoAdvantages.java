package dev.lathe.kernels;

import dev.lathe.core.Tensor;

/**
 * GRPO's group-normalised advantages (TRL): the rewards of the G completions of one prompt, centred and scaled
 * by their own statistics.
 *
 * <pre>
 * rewards : [B] with B = groups·G, a group's completions adjacent   →   advantages : [B]
 * advantages = (r − mean_group) / (std_group + 1e-4)      (std unbiased, as torch.std)
 * </pre>
 */
public final class GrpoAdvantages {
    /** TRL's epsilon added to the group standard deviation. */
    public static final double EPS = 1e-4;

    private GrpoAdvantages() {}

    public static Tensor compute(Tensor rewards, int groupSize) {
        int b = Math.toIntExact(rewards.numel());
        if (groupSize < 2 || b % groupSize != 0) {
            throw new IllegalArgumentException("group size " + groupSize + " must be >= 2 and divide " + b);
        }
        double[] r = MaskedStats.doubles(rewards), out = new double[b];
        for (int g0 = 0; g0 < b; g0 += groupSize) {
            double mean = 0;
            for (int i = g0; i < g0 + groupSize; i++) mean += r[i];
            mean /= groupSize;
            double ss = 0;
            for (int i = g0; i < g0 + groupSize; i++) ss += (r[i] - mean) * (r[i] - mean);
            double std = Math.sqrt(ss / (groupSize - 1));
            for (int i = g0; i < g0 + groupSize; i++) out[i] = (r[i] - mean) / (std + EPS);
        }
        return MaskedStats.tensor(out, rewards.shape());
    }
}
