package dev.lathe.kernels;

import dev.lathe.core.Tensor;

/**
 * Generalised advantage estimation over response tokens (TRL's PPO loop; the Java counterpart of
 * {@code gae.cu}).
 *
 * <pre>
 * rewards, values, mask : [B, T]   →   advantages, returns : [B, T]
 * rewards and values count as 0 where mask == 0; the value after the last position is 0
 * delta[t]      = r[t] + γ·v[t+1] − v[t]
 * advantages[t] = delta[t] + γ·λ·advantages[t+1]        (backwards over the full length T)
 * returns       = advantages + values
 * </pre>
 */
public final class Gae {
    /** advantages and returns, both [B, T], not whitened. */
    public record Result(Tensor advantages, Tensor returns) {}

    private Gae() {}

    public static Result compute(Tensor rewards, Tensor values, Tensor mask, double gamma, double lam) {
        MaskedStats.sameShape(rewards, values, mask);
        if (rewards.rank() != 2) throw new IllegalArgumentException("GAE expects [B, T], got " + rewards);
        int b = rewards.dim(0), t = rewards.dim(1);
        double[] r = MaskedStats.doubles(rewards), v = MaskedStats.doubles(values), m = MaskedStats.doubles(mask);
        double[] adv = new double[r.length], ret = new double[r.length];
        for (int row = 0; row < b; row++) {
            double last = 0, nextValue = 0;
            for (int j = t - 1; j >= 0; j--) {
                int i = row * t + j;
                double value = v[i] * m[i];
                double delta = r[i] * m[i] + gamma * nextValue - value;
                last = delta + gamma * lam * last;
                adv[i] = last;
                ret[i] = last + value;
                nextValue = value;
            }
        }
        return new Result(MaskedStats.tensor(adv, rewards.shape()), MaskedStats.tensor(ret, rewards.shape()));
    }
}
