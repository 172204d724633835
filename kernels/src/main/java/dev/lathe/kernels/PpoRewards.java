package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.BinaryOp;

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
        if (logp.device() != Device.CPU) return onDevice(logp, refLogp, scores, mask, klCoef, kl);
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

    /**
     * The device form: each row's last real token is where no real token follows, [Σ_{j > t} mask[j] = 0], the
     * suffix counts coming from one GEMM with the strictly lower-triangular ones [T, T]; the scores are spread
     * along the rows by an outer product.
     */
    private static Tensor onDevice(Tensor logp, Tensor refLogp, Tensor scores, Tensor mask, double klCoef,
                                   KlEstimator kl) {
        Device device = logp.device();
        int b = logp.dim(0), t = logp.dim(1);
        Tensor out = DeviceMath.empty(device, b, t);
        try (Scope tmp = Scope.open()) {
            Tensor real = DeviceMath.nonZero(DeviceMath.on(device, mask));
            Tensor penalty = DeviceMath.scale(DeviceMath.mul(
                    kl.onDevice(DeviceMath.on(device, logp), DeviceMath.on(device, refLogp)), real), -klCoef);
            float[] later = new float[t * t]; // later[j, i] = [j > i]
            for (int j = 0; j < t; j++) for (int i = 0; i < j; i++) later[j * t + i] = 1f;
            Tensor following = DeviceMath.empty(device, b, t);
            DeviceMath.backend(out).matmul(real, Tensor.of(later, t, t).moveTo(device), following, 1f, 0f);
            Tensor last = DeviceMath.mul(real, DeviceMath.minusFrom(1, DeviceMath.positive(following)));
            Tensor score = DeviceMath.rowBroadcast(DeviceMath.on(device, scores.contiguous()).view(b), t);
            DeviceMath.backend(out).binary(BinaryOp.ADD, penalty, DeviceMath.mul(score, last), out);
        }
        return out;
    }
}
