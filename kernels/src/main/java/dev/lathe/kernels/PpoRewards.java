package dev.lathe.kernels;

import dev.lathe.core.Tensor;

/**
 * PPO's per-token rewards (TRL): a KL penalty on every response token plus the reward model's score on the
 * last real one.
 *
 * <pre>
 * logp, refLogp, mask : [B, T]    scores : [B]   →   rewards : [B, T]
 * rewards[b, t] = −klCoef·kl(logp, refLogp)[b, t]·mask[b, t]  +  scores[b]·[t == last t with mask[b, t] = 1]
 * </pre>
 * A row with no real token gets no score.
 */
public final class PpoRewards {
    private PpoRewards() {}

    public static Tensor perToken(Tensor logp, Tensor refLogp, Tensor scores, Tensor mask, double klCoef,
                                  KlEstimator kl) {
        MaskedStats.sameShape(logp, refLogp, mask);
        int b = logp.dim(0), t = logp.dim(1);
        if (scores.numel() != b) throw new IllegalArgumentException("expected " + b + " scores, got " + scores);
        double[] p = MaskedStats.doubles(logp), q = MaskedStats.doubles(refLogp), m = MaskedStats.doubles(mask);
        double[] s = MaskedStats.doubles(scores);
        double[] out = new double[p.length];
        for (int row = 0; row < b; row++) {
            int last = -1;
            for (int j = 0; j < t; j++) {
                int i = row * t + j;
                if (m[i] == 0) continue;
                out[i] = -klCoef * kl.of(p[i], q[i]);
                last = i;
            }
            if (last >= 0) out[last] += s[row];
        }
        return MaskedStats.tensor(out, logp.shape());
    }
}
