package dev.lathe.train.grpo;

import dev.lathe.core.Device;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GRPO's clipped surrogate with a k3 KL to the reference (TRL's GRPOTrainer), float64 inside, with a
 * hand-written backward into logp.
 *
 * <pre>
 * logp, oldLogp, refLogp, mask : [B, T]  (logp carries gradients; refLogp null when β = 0)   advantages : [B]
 * ratio = exp(logp − oldLogp)
 * l     = −min(ratio·A, clip(ratio, 1 − ε, 1 + ε)·A) + β·(exp(ref − logp) − (ref − logp) − 1)
 * loss  = grpo:    mean_b Σ_t l·m / max(Σ_t m, 1)
 *         bnpo:    Σ l·m / max(Σ m, 1)
 *         dr_grpo: Σ l·m / (B · maxCompletionLength)
 * </pre>
 * With one update per rollout (TRL's num_iterations = 1) oldLogp is logp itself, so ratio = 1 and the gradient
 * is −A·∇logp + β·∇k3. Metrics: kl (masked mean of k3) and clip_ratio (tokens whose ratio is clipped on the
 * side the advantage pushes).
 */
public final class GrpoLoss {
    public record Result(Tensor loss, Map<String, Double> metrics) {}

    private GrpoLoss() {}

    public static Result compute(Tensor logp, float[] oldLogp, float[] refLogp, double[] advantages, float[] mask,
                                 GrpoConfig config) {
        int b = logp.dim(0), t = logp.dim(1), n = b * t;
        if (oldLogp.length != n || mask.length != n || advantages.length != b || (refLogp != null && refLogp.length != n)) {
            throw new IllegalArgumentException("GRPO loss inputs disagree with logp " + logp);
        }
        float[] lp = logp.toFloatArray();
        double[] weight = new double[n];
        double total = 0;
        for (float m : mask) total += m;
        for (int row = 0; row < b; row++) {
            double count = 0;
            for (int j = 0; j < t; j++) count += mask[row * t + j];
            double w = switch (config.lossType()) {
                case GRPO -> 1 / (b * Math.max(count, 1));
                case BNPO -> 1 / Math.max(total, 1);
                case DR_GRPO -> 1.0 / ((double) b * config.maxCompletionLength());
            };
            for (int j = 0; j < t; j++) weight[row * t + j] = w * mask[row * t + j];
        }
        double eps = config.epsilon(), beta = config.beta();
        double loss = 0, kl = 0, clipped = 0;
        double[] grad = new double[n];
        for (int i = 0; i < n; i++) {
            if (mask[i] == 0) continue;
            double a = advantages[i / t], ratio = Math.exp(lp[i] - oldLogp[i]);
            double clippedRatio = Math.min(Math.max(ratio, 1 - eps), 1 + eps);
            boolean clip = clippedRatio * a < ratio * a; // the min picks the clipped term: constant in logp
            double term = -Math.min(ratio * a, clippedRatio * a), dTerm = clip ? 0 : -ratio * a;
            if ((ratio < 1 - eps && a < 0) || (ratio > 1 + eps && a > 0)) clipped += mask[i];
            if (refLogp != null) {
                double d = refLogp[i] - lp[i], k3 = Math.expm1(d) - d;
                kl += k3 * mask[i];
                term += beta * k3;
                dTerm += beta * (1 - Math.exp(d));
            }
            loss += weight[i] * term;
            grad[i] = weight[i] * dTerm;
        }
        Device device = logp.device(); // the loss and its gradient are computed on the host and moved there
        Tensor out = Tensor.scalar((float) loss).moveTo(device);
        int[] shape = logp.shape();
        Node.record(out, "grpoLoss", (g, needs) -> {
            double up = g.item();
            float[] d = new float[n];
            for (int i = 0; i < n; i++) d[i] = (float) (up * grad[i]);
            return new Tensor[] {Tensor.of(d, shape).moveTo(device)};
        }, logp);
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (refLogp != null) metrics.put("kl", kl / Math.max(total, 1));
        metrics.put("clip_ratio", clipped / Math.max(total, 1));
        return new Result(out, metrics);
    }
}
