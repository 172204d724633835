package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PPO's clipped policy and value objective (TRL's PPOTrainer) with a hand-written backward; the Java
 * counterpart of {@code ppo_loss.cu}. All means are masked means over response tokens.
 *
 * <pre>
 * logp, oldLogp, advantages, vpred, values, returns, mask : [B, T]     (logp and vpred carry gradients)
 * ratio    = exp(logp − oldLogp)
 * pg_loss  = mean max(−A·ratio, −A·clip(ratio, 1 − c, 1 + c))
 * vclipped = clip(vpred, values − cv, values + cv)
 * vf_loss  = 0.5 · mean max((vpred − R)², (vclipped − R)²)
 * loss     = pg_loss + vfCoef · vf_loss
 * pg_clipfrac = mean [clipped term > unclipped],  vf_clipfrac likewise,  approxkl = 0.5 · mean (logp − oldLogp)²
 * </pre>
 * Where the two terms of a max tie, the gradient follows the unclipped one. With logp on a device the loss and
 * gradients stay there ({@link DevicePpoLoss}).
 */
public final class PpoLoss {
    /** TRL's defaults: cliprange 0.2, cliprange_value 0.2, vf_coef 0.1. */
    public record Config(double cliprange, double cliprangeValue, double vfCoef) {
        public static Config defaults() {
            return new Config(0.2, 0.2, 0.1);
        }
    }

    /** Diagnostics of one minibatch (masked means), named as TRL logs them by {@link #metrics()}. */
    public record Stats(double pgLoss, double vfLoss, double pgClipfrac, double vfClipfrac, double approxKl,
                        double ratioMean, double entropyMean) {
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss/policy_avg", pgLoss);
            m.put("loss/value_avg", vfLoss);
            m.put("policy/clipfrac_avg", pgClipfrac);
            m.put("val/clipfrac_avg", vfClipfrac);
            m.put("policy/approxkl_avg", approxKl);
            m.put("val/ratio", ratioMean);
            if (!Double.isNaN(entropyMean)) m.put("policy/entropy_avg", entropyMean);
            return m;
        }
    }

    /** The scalar loss (with autograd history into logp and vpred) and its statistics. */
    public record Result(Tensor loss, Stats stats) {}

    private PpoLoss() {}

    /** {@code entropy} [B, T] (may be null) only feeds the entropy statistic. */
    public static Result compute(Tensor logp, Tensor oldLogp, Tensor advantages, Tensor vpred, Tensor values,
                                 Tensor returns, Tensor mask, Tensor entropy, Config config) {
        MaskedStats.sameShape(logp, oldLogp, advantages, vpred, values, returns, mask, entropy);
        if (logp.device() != Device.CPU) {
            return DevicePpoLoss.compute(logp, oldLogp, advantages, vpred, values, returns, mask, entropy, config);
        }
        double[] lp = MaskedStats.doubles(logp), old = MaskedStats.doubles(oldLogp);
        double[] a = MaskedStats.doubles(advantages), vp = MaskedStats.doubles(vpred);
        double[] v = MaskedStats.doubles(values), ret = MaskedStats.doubles(returns), m = MaskedStats.doubles(mask);
        int n = lp.length;
        double count = 0;
        for (double x : m) count += x;
        double tokens = count;
        if (count == 0) throw new IllegalArgumentException("PPO loss over a mask with no response tokens");
        double c = config.cliprange(), cv = config.cliprangeValue();
        // Per-token d(term)/d(input), before the masked mean's 1/count and the loss weights.
        double[] dPg = new double[n], dVf = new double[n];
        double pg = 0, vf = 0, pgClipped = 0, vfClipped = 0, kl = 0, ratioSum = 0;
        for (int i = 0; i < n; i++) {
            if (m[i] == 0) continue;
            double diff = lp[i] - old[i], ratio = Math.exp(diff);
            double clippedRatio = Math.min(Math.max(ratio, 1 - c), 1 + c);
            double pg1 = -a[i] * ratio, pg2 = -a[i] * clippedRatio;
            boolean pgClip = pg2 > pg1;
            pg += m[i] * (pgClip ? pg2 : pg1);
            pgClipped += m[i] * (pgClip ? 1 : 0);
            // d(−A·ratio)/dlogp = −A·ratio; a strictly winning clipped term has its ratio clipped: constant.
            dPg[i] = pgClip ? 0 : pg1;

            double vClippedValue = Math.min(Math.max(vp[i], v[i] - cv), v[i] + cv);
            double vf1 = (vp[i] - ret[i]) * (vp[i] - ret[i]), vf2 = (vClippedValue - ret[i]) * (vClippedValue - ret[i]);
            boolean vfClip = vf2 > vf1;
            vf += m[i] * (vfClip ? vf2 : vf1);
            vfClipped += m[i] * (vfClip ? 1 : 0);
            dVf[i] = vfClip ? 0 : 2 * (vp[i] - ret[i]); // likewise: a winning clipped value is constant

            kl += m[i] * diff * diff;
            ratioSum += m[i] * ratio;
        }
        double pgLoss = pg / count, vfLoss = 0.5 * vf / count;
        double entropyMean = entropy == null ? Double.NaN : MaskedStats.mean(MaskedStats.doubles(entropy), m);
        Stats stats = new Stats(pgLoss, vfLoss, pgClipped / count, vfClipped / count, 0.5 * kl / count,
                ratioSum / count, entropyMean);
        Tensor loss = Tensor.scalar((float) (pgLoss + config.vfCoef() * vfLoss));
        int[] shape = logp.shape();
        double vfScale = config.vfCoef() * 0.5;
        Node.record(loss, "ppoLoss", (g, needs) -> {
            double up = g.item() / tokens;
            double[] dLogp = new double[n], dVpred = new double[n];
            for (int i = 0; i < n; i++) {
                dLogp[i] = up * m[i] * dPg[i];
                dVpred[i] = up * m[i] * vfScale * dVf[i];
            }
            return new Tensor[] {needs[0] ? MaskedStats.tensor(dLogp, shape) : null,
                    needs[1] ? MaskedStats.tensor(dVpred, shape) : null};
        }, logp, vpred);
        return new Result(loss, stats);
    }
}
