package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.cuda.CudaLaunch;

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
        if (rewards.device() != Device.CPU) return onDevice(rewards, values, mask, gamma, lam);
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

    /**
     * The device form: on a real GPU {@code gae.cu}'s recurrence (a thread per row); elsewhere the recurrence
     * unrolled into two GEMMs with host-built [T, T] matrices (of γ and λ only: nothing is read back),
     * <pre>
     * advantages[t] = Σ_{j ≥ t} (γλ)^(j−t)·(r'[j] − v'[j] + γ·v'[j+1])      r' = r·mask, v' = v·mask
     *               = (r' @ K)[t] + (v' @ W)[t]
     * K[j, t] = (γλ)^(j−t) for j ≥ t        W[k, t] = γ·(γλ)^(k−1−t)·[k > t] − (γλ)^(k−t)·[k ≥ t]
     * </pre>
     */
    private static Result onDevice(Tensor rewards, Tensor values, Tensor mask, double gamma, double lam) {
        Device device = rewards.device();
        int b = rewards.dim(0), t = rewards.dim(1);
        Tensor adv = DeviceMath.empty(device, b, t), ret = DeviceMath.empty(device, b, t);
        try (Scope tmp = Scope.open()) {
            Tensor r = DeviceMath.on(device, rewards), v = DeviceMath.on(device, values), m = DeviceMath.on(device, mask);
            if (GpuKernels.active(r)) {
                CudaLaunch.launch(GpuKernels.GAE, (b + 127) / 128, 1, 1, 128, 1, 1, r, v, m, adv, ret, b, t,
                        (float) gamma, (float) lam);
                return new Result(adv, ret);
            }
            float[] k = new float[t * t], w = new float[t * t];
            double decay = gamma * lam;
            for (int j = 0; j < t; j++) {
                double p = 1; // (γλ)^(j − i) for i = j, j − 1, ..., 0
                for (int i = j; i >= 0; i--, p *= decay) {
                    k[j * t + i] = (float) p;
                    w[j * t + i] = (float) -p;
                }
                p = gamma; // γ·(γλ)^(j − 1 − i) for i = j − 1, ..., 0
                for (int i = j - 1; i >= 0; i--, p *= decay) w[j * t + i] += (float) p;
            }
            Tensor rm = DeviceMath.mul(r, m), vm = DeviceMath.mul(v, m);
            var be = DeviceMath.backend(adv);
            be.matmul(rm, Tensor.of(k, t, t).moveTo(device), adv, 1f, 0f);
            be.matmul(vm, Tensor.of(w, t, t).moveTo(device), adv, 1f, 1f);
            be.binary(BinaryOp.ADD, adv, vm, ret);
        }
        return new Result(adv, ret);
    }
}
