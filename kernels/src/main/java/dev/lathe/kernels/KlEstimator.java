package dev.lathe.kernels;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.UnaryOp;

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

    /** On logp's device (refLogp may be a host tensor then). */
    public Tensor perToken(Tensor logp, Tensor refLogp) {
        MaskedStats.sameShape(logp, refLogp);
        if (logp.device() != Device.CPU) {
            Tensor out = DeviceMath.empty(logp.device(), logp.shape());
            try (Scope tmp = Scope.open()) {
                DeviceMath.backend(out).copy(onDevice(logp, DeviceMath.on(logp.device(), refLogp)), out);
            }
            return out;
        }
        double[] p = MaskedStats.doubles(logp), q = MaskedStats.doubles(refLogp);
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) out[i] = of(p[i], q[i]);
        return MaskedStats.tensor(out, logp.shape());
    }

    /**
     * The device form from the Backend SPI (logr = refLogp − logp): k3 = (exp(logr) − 1) − logr in float32, so
     * its absolute error is about 1e-7·max(1, exp(logr)) where the host's expm1 keeps small values relative.
     */
    Tensor onDevice(Tensor logp, Tensor refLogp) {
        Tensor logr = DeviceMath.sub(refLogp, logp);
        return this == K1 ? DeviceMath.scale(logr, -1)
                : DeviceMath.sub(DeviceMath.plus(DeviceMath.unary(UnaryOp.EXP, logr), -1), logr);
    }

    /** The estimate for one token. */
    double of(double logp, double refLogp) {
        double logr = refLogp - logp;
        return this == K1 ? -logr : Math.expm1(logr) - logr;
    }
}
