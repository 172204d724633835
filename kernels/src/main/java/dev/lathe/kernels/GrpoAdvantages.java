package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.UnaryOp;

/**
 * GRPO's group-normalised advantages (TRL): the rewards of the G completions of one prompt, centred and scaled
 * by their own statistics.
 *
 * <pre>
 * rewards : [B] with B = groups·G, a group's completions adjacent   →   advantages : [B]
 * advantages = (r − mean_group) / (std_group + 1e-4)      (std unbiased, as torch.std)
 * </pre>
 * Device rewards give device advantages (float32 arithmetic there, float64 on the host).
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
        if (rewards.device() != Device.CPU) return onDevice(rewards, groupSize);
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

    /** The same on the rewards' device: groups as rows of [B / G, G], per-row statistics broadcast back. */
    private static Tensor onDevice(Tensor rewards, int groupSize) {
        int groups = Math.toIntExact(rewards.numel()) / groupSize;
        Tensor out = DeviceMath.empty(rewards.device(), rewards.shape());
        try (Scope tmp = Scope.open()) {
            Backend be = DeviceMath.backend(rewards);
            Tensor r = DeviceMath.on(rewards.device(), rewards).view(groups, groupSize);
            Tensor sum = DeviceMath.empty(rewards.device(), groups), squares = DeviceMath.empty(rewards.device(), groups);
            be.rowSum(r, sum);
            Tensor centred = DeviceMath.sub(r, DeviceMath.rowBroadcast(DeviceMath.scale(sum, 1.0 / groupSize), groupSize));
            be.rowSum(DeviceMath.unary(UnaryOp.SQUARE, centred), squares);
            Tensor std = DeviceMath.unary(UnaryOp.SQRT, DeviceMath.scale(squares, 1.0 / (groupSize - 1)));
            Tensor a = DeviceMath.div(centred, DeviceMath.rowBroadcast(DeviceMath.plus(std, EPS), groupSize));
            be.copy(a.view(rewards.shape()), out);
        }
        return out;
    }
}
