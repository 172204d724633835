package dev.lathe.kernels;

import dev.lathe.core.Tensor;

/**
 * Per-token estimators of KL(π ‖ π_ref) from log-probs of the sampled tokens (Schulman's k1 / k3, TRL's
 * {@code kl_estimator}).
 *
 * <pre>
 * logp, refLogp : [..]   →   [..]
 * k1 = logp − refLogp                        (unbiased, can be negative)
 * k3 = (exp(refLogp − logp) − 1) − (refLogp − logp)   (unbiased, never negative, lower variance)
 * </pre>
 */
public enum KlEstimator {
    K1, K3;

    public Tensor perToken(Tensor logp, Tensor refLogp) {
        MaskedStats.sameShape(logp, refLogp);
        double[] p = MaskedStats.doubles(logp), q = MaskedStats.doubles(refLogp);
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) out[i] = of(p[i], q[i]);
        return MaskedStats.tensor(out, logp.shape());
    }

    /** The estimate for one token. */
    double of(double logp, double refLogp) {
        double logr = refLogp - logp;
        return this == K1 ? -logr : Math.expm1(logr) - logr;
    }
}
