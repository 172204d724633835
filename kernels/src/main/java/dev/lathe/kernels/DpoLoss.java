package dev.lathe.kernels;

import dev.lathe.core.DType;
import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * DPO's loss from per-sequence log-probs (TRL's {@code dpo_loss}), with a hand-written backward. The Java
 * counterpart of {@code dpo_loss.cu}.
 *
 * <pre>
 * policyChosen, policyRejected, refChosen, refRejected : [B]   (sums of completion-token log-probs;
 *                                                               IPO: their means — the caller averages)
 * h = (πc − πr) − (refc − refr)          (reference-free: h = πc − πr)
 * sigmoid: −logσ(βh)(1−ε) − logσ(−βh)ε        robust: (−logσ(βh)(1−ε) + logσ(−βh)ε) / (1−2ε)
 * hinge:   relu(1 − βh)                       ipo:    (h − 1/(2β))²
 * loss = Σ_rows loss_row / normaliser          (normaliser = B by default)
 * </pre>
 * The loss is differentiable with respect to the policy log-probs; the reference ones are constants. Metrics
 * use TRL's names and are means over the rows: rewards/chosen = β(πc − refc), rewards/rejected = β(πr − refr),
 * rewards/accuracies = [chosen > rejected], rewards/margins = chosen − rejected, logps/chosen, logps/rejected.
 * Device log-probs give a device loss and device gradients; the metrics read the [B] log-probs back.
 */
public final class DpoLoss {
    public enum Type {
        SIGMOID, IPO, HINGE, ROBUST;

        /** From TRL's spelling: sigmoid, ipo, hinge, robust. */
        public static Type parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * @param beta           β, TRL's default 0.1
     * @param labelSmoothing ε in [0, 0.5), TRL's default 0 (used by sigmoid and robust)
     * @param referenceFree  ignore the reference log-ratio in the loss (an implicit uniform reference); the
     *                       rewards still use the reference log-probs when given, as TRL
     */
    public record Config(Type type, double beta, double labelSmoothing, boolean referenceFree) {
        public Config {
            if (!(beta > 0)) throw new IllegalArgumentException("beta must be positive, got " + beta);
            if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
                throw new IllegalArgumentException("label smoothing must be in [0, 0.5), got " + labelSmoothing);
            }
        }

        /** TRL's defaults: sigmoid, β = 0.1, ε = 0, with a reference. */
        public static Config defaults() {
            return new Config(Type.SIGMOID, 0.1, 0.0, false);
        }

        public Config withType(Type t) {
            return new Config(t, beta, labelSmoothing, referenceFree);
        }
    }

    /** The scalar loss (with autograd history) and TRL's metrics. */
    public record Result(Tensor loss, Map<String, Double> metrics) {}

    private DpoLoss() {}

    public static Result compute(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected,
                                 Config config) {
        return compute(policyChosen, policyRejected, refChosen, refRejected, config, policyChosen.numel());
    }

    /**
     * Loss summed over the rows and divided by {@code normaliser} (the whole batch's row count under gradient
     * accumulation). refChosen / refRejected may be null when {@code config.referenceFree()}: they count as 0.
     */
    public static Result compute(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected,
                                 Config config, double normaliser) {
        int b = Math.toIntExact(policyChosen.numel());
        if (policyRejected.numel() != b) throw new IllegalArgumentException("chosen and rejected sizes differ");
        if (!config.referenceFree() && (refChosen == null || refRejected == null)) {
            throw new IllegalArgumentException("reference log-probs are required unless reference-free");
        }
        double[] pc = doubles(policyChosen, b), pr = doubles(policyRejected, b);
        double[] rc = doubles(refChosen, b), rr = doubles(refRejected, b);
        double beta = config.beta(), eps = config.labelSmoothing();
        double total = 0;
        double[] dh = new double[b]; // d loss_row / d h, per row
        double chosenRewards = 0, rejectedRewards = 0, accuracy = 0, margins = 0, logpsChosen = 0, logpsRejected = 0;
        for (int i = 0; i < b; i++) {
            double h = (pc[i] - pr[i]) - (config.referenceFree() ? 0 : rc[i] - rr[i]);
            double z = beta * h;
            switch (config.type()) {
                case SIGMOID -> {
                    total += -logSigmoid(z) * (1 - eps) - logSigmoid(-z) * eps;
                    dh[i] = beta * (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z));
                }
                case ROBUST -> {
                    total += (-logSigmoid(z) * (1 - eps) + logSigmoid(-z) * eps) / (1 - 2 * eps);
                    dh[i] = beta * (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z)) / (1 - 2 * eps);
                }
                case HINGE -> {
                    total += Math.max(0, 1 - z);
                    dh[i] = 1 - z > 0 ? -beta : 0;
                }
                case IPO -> {
                    double d = h - 1 / (2 * beta);
                    total += d * d;
                    dh[i] = 2 * d;
                }
            }
            double cr = beta * (pc[i] - rc[i]), rj = beta * (pr[i] - rr[i]);
            chosenRewards += cr;
            rejectedRewards += rj;
            accuracy += cr > rj ? 1 : 0;
            margins += cr - rj;
            logpsChosen += pc[i];
            logpsRejected += pr[i];
        }
        Tensor loss;
        if (policyChosen.device() != Device.CPU) {
            loss = onDevice(policyChosen, policyRejected, refChosen, refRejected, config, normaliser, total, dh);
        } else {
            loss = onHost(policyChosen, policyRejected, normaliser, total, dh);
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("rewards/chosen", chosenRewards / b);
        metrics.put("rewards/rejected", rejectedRewards / b);
        metrics.put("rewards/accuracies", accuracy / b);
        metrics.put("rewards/margins", margins / b);
        metrics.put("logps/chosen", logpsChosen / b);
        metrics.put("logps/rejected", logpsRejected / b);
        return new Result(loss, metrics);
    }

    /** The loss as a host scalar whose backward gives d/dπc = upstream·dh / normaliser and d/dπr = −that. */
    private static Tensor onHost(Tensor policyChosen, Tensor policyRejected, double normaliser, double total, double[] dh) {
        int b = dh.length;
        Tensor loss = Tensor.scalar((float) (total / normaliser));
        int[] shapeC = policyChosen.shape(), shapeR = policyRejected.shape();
        Node.record(loss, "dpoLoss", (g, needs) -> {
            double up = g.item() / normaliser;
            float[] dc = new float[b], dr = new float[b];
            for (int i = 0; i < b; i++) {
                dc[i] = (float) (up * dh[i]);
                dr[i] = -dc[i];
            }
            return new Tensor[] {needs[0] ? Tensor.of(dc, shapeC) : null, needs[1] ? Tensor.of(dr, shapeR) : null};
        }, policyChosen, policyRejected);
        return loss;
    }

    /**
     * The loss on the log-probs' device with its backward there. On a real GPU {@code dpo_loss.cu} computes the
     * rows where they are; elsewhere the rows' loss and d/dh come from the float64 loop of {@link #compute}
     * (whose [B] per-sequence log-probs are read back for the metrics anyway) and are copied over.
     */
    private static Tensor onDevice(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected,
                                   Config config, double normaliser, double total, double[] dh) {
        Device device = policyChosen.device();
        int b = dh.length;
        boolean gpu = GpuKernels.active(policyChosen);
        Tensor loss, dhRows;
        if (gpu) {
            loss = DeviceMath.empty(device);
            dhRows = DeviceMath.empty(device, b);
            try (Scope tmp = Scope.open()) {
                Tensor lossRows = DeviceMath.empty(device, b), rewards = DeviceMath.empty(device, 2, b);
                Tensor none = refChosen == null || refRejected == null ? Tensor.zeros(device, DType.F32, b) : null;
                GpuKernels.launchPerElement(GpuKernels.DPO_FORWARD, b, DeviceMath.on(device, policyChosen),
                        DeviceMath.on(device, policyRejected), none != null ? none : DeviceMath.on(device, refChosen),
                        none != null ? none : DeviceMath.on(device, refRejected), lossRows, dhRows, rewards, b,
                        config.type().ordinal(), (float) config.beta(), (float) config.labelSmoothing(),
                        config.referenceFree() ? 1 : 0);
                DeviceMath.backend(loss).scale(DeviceMath.total(lossRows), (float) (1 / normaliser), loss);
            }
        } else {
            float[] rows = new float[b];
            for (int i = 0; i < b; i++) rows[i] = (float) dh[i];
            loss = Tensor.of(new float[] {(float) (total / normaliser)}).moveTo(device);
            dhRows = Tensor.of(rows, b).moveTo(device);
        }
        int[] shapeC = policyChosen.shape(), shapeR = policyRejected.shape();
        Node.record(loss, "dpoLoss", (g, needs) -> {
            Tensor dc = DeviceMath.empty(device, shapeC), dr = DeviceMath.empty(device, shapeR);
            if (gpu) {
                GpuKernels.launchPerElement(GpuKernels.DPO_BACKWARD, b, dhRows, dc, dr, b, (float) (1 / normaliser));
            } else {
                DeviceMath.backend(dc).scale(dhRows, (float) (1 / normaliser), dc);
                DeviceMath.backend(dr).scale(dhRows, (float) (-1 / normaliser), dr);
            }
            return new Tensor[] {needs[0] ? DeviceMath.timesUpstream(dc, g) : null,
                    needs[1] ? DeviceMath.timesUpstream(dr, g) : null};
        }, policyChosen, policyRejected);
        return loss;
    }

    /** log σ(x) = −softplus(−x), without overflow for large |x|. */
    static double logSigmoid(double x) {
        return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    private static double[] doubles(Tensor t, int n) {
        double[] out = new double[n];
        if (t == null) return out;
        if (t.numel() != n) throw new IllegalArgumentException("expected " + n + " log-probs, got " + t);
        float[] f = t.toFloatArray();
        for (int i = 0; i < n; i++) out[i] = f[i];
        return out;
    }
}
