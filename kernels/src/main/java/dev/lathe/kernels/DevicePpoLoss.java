package dev.lathe.kernels;

import static dev.lathe.kernels.DeviceMath.add;
import static dev.lathe.kernels.DeviceMath.mul;
import static dev.lathe.kernels.DeviceMath.scale;
import static dev.lathe.kernels.DeviceMath.sub;
import static dev.lathe.kernels.DeviceMath.unary;

import dev.lathe.core.Device;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.Node;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.BinaryOp;
import dev.lathe.core.backend.UnaryOp;
import dev.lathe.core.cuda.CudaLaunch;

/**
 * {@link PpoLoss} on the device of logp. The per-token terms (ppo_loss.cu's {@code terms} rows, each times the
 * mask) and the unit gradients stay on the device; only their seven masked sums are read back — the statistics
 * the caller logs, from which the loss scalar is formed and copied over. On a real GPU {@code ppo_loss.cu}
 * computes them; elsewhere the Backend SPI's element-wise kernels do, with max(a, b) = a + relu(b − a) and the
 * clip indicators from {@link DeviceMath#positive}.
 */
final class DevicePpoLoss {
    /** Rows of the terms: pg, vf, pg clipped, vf clipped, (logp − old)², ratio — each times mask — and mask. */
    private static final int TERMS = 7;

    private DevicePpoLoss() {}

    static PpoLoss.Result compute(Tensor logp, Tensor oldLogp, Tensor advantages, Tensor vpred, Tensor values,
                                  Tensor returns, Tensor mask, Tensor entropy, PpoLoss.Config config) {
        Device device = logp.device();
        int n = Math.toIntExact(logp.numel());
        int[] shape = logp.shape();
        boolean gpu = GpuKernels.active(logp);
        Tensor dLogpUnit = DeviceMath.empty(device, shape), dVpredUnit = DeviceMath.empty(device, shape);
        double[] sums = new double[TERMS];
        double entropySum = Double.NaN;
        try (Scope tmp = Scope.open()) {
            Tensor lp = DeviceMath.on(device, logp), old = DeviceMath.on(device, oldLogp);
            Tensor a = DeviceMath.on(device, advantages), vp = DeviceMath.on(device, vpred);
            Tensor v = DeviceMath.on(device, values), ret = DeviceMath.on(device, returns), m = DeviceMath.on(device, mask);
            Backend be = DeviceMath.backend(lp);
            if (gpu) {
                Tensor terms = DeviceMath.empty(device, TERMS, n);
                GpuKernels.launchPerElement(GpuKernels.PPO_TOKENS, n, lp, old, a, vp, v, ret, m, terms, dLogpUnit,
                        dVpredUnit, n, (float) config.cliprange(), (float) config.cliprangeValue());
                be.copy(m.view(1, n), terms.slice(TERMS - 1, TERMS));
                Tensor raw = GpuKernels.doubles(device, TERMS);
                CudaLaunch.launch(GpuKernels.PPO_ROW_SUMS, TERMS, 1, 1, GpuKernels.BLOCK, 1, 1, terms, raw, n);
                sums = GpuKernels.read(raw);
            } else {
                Tensor[] terms = genericTerms(lp, old, a, vp, v, ret, m, config, dLogpUnit, dVpredUnit);
                for (int k = 0; k < TERMS; k++) sums[k] = be.sum(terms[k]);
            }
            if (entropy != null) entropySum = be.sum(mul(DeviceMath.on(device, entropy), m));
        }
        double count = sums[6];
        if (count == 0) throw new IllegalArgumentException("PPO loss over a mask with no response tokens");
        double pgLoss = sums[0] / count, vfLoss = 0.5 * sums[1] / count;
        var stats = new PpoLoss.Stats(pgLoss, vfLoss, sums[2] / count, sums[3] / count, 0.5 * sums[4] / count,
                sums[5] / count, entropySum / count);
        Tensor loss = Tensor.of(new float[] {(float) (pgLoss + config.vfCoef() * vfLoss)}).moveTo(device);
        Node.record(loss, "ppoLoss", (g, needs) -> {
            Tensor dLogp = DeviceMath.empty(device, shape), dVpred = DeviceMath.empty(device, shape);
            if (gpu) {
                GpuKernels.launchPerElement(GpuKernels.PPO_BACKWARD, n, dLogpUnit, dVpredUnit, dLogp, dVpred, n,
                        (float) (1 / count), (float) config.vfCoef());
            } else {
                Backend be = DeviceMath.backend(dLogp);
                be.scale(dLogpUnit, (float) (1 / count), dLogp);
                be.scale(dVpredUnit, (float) (config.vfCoef() * 0.5 / count), dVpred);
            }
            return new Tensor[] {needs[0] ? DeviceMath.timesUpstream(dLogp, g) : null,
                    needs[1] ? DeviceMath.timesUpstream(dVpred, g) : null};
        }, logp, vpred);
        return new PpoLoss.Result(loss, stats);
    }

    /**
     * ppo_loss_tokens from the Backend SPI: returns the {@link #TERMS} rows and writes the unit gradients
     * m·[pg unclipped wins]·(−A·ratio) and m·[vf unclipped wins]·2(vpred − R).
     */
    private static Tensor[] genericTerms(Tensor lp, Tensor old, Tensor a, Tensor vp, Tensor v, Tensor ret, Tensor m,
                                         PpoLoss.Config config, Tensor dLogpUnit, Tensor dVpredUnit) {
        double c = config.cliprange(), cv = config.cliprangeValue();
        Tensor diff = sub(lp, old), ratio = unary(UnaryOp.EXP, diff);
        Tensor pg1 = scale(mul(a, ratio), -1), pg2 = scale(mul(a, DeviceMath.clip(ratio, 1 - c, 1 + c)), -1);
        Tensor pgGap = sub(pg2, pg1), pgClip = DeviceMath.positive(pgGap);
        Tensor vClipped = DeviceMath.atMost(DeviceMath.atLeast(vp, DeviceMath.plus(v, -cv)), DeviceMath.plus(v, cv));
        Tensor d1 = sub(vp, ret);
        Tensor vf1 = unary(UnaryOp.SQUARE, d1), vf2 = unary(UnaryOp.SQUARE, sub(vClipped, ret));
        Tensor vfGap = sub(vf2, vf1), vfClip = DeviceMath.positive(vfGap);
        Backend be = DeviceMath.backend(lp);
        be.binary(BinaryOp.MUL, mul(m, DeviceMath.minusFrom(1, pgClip)), pg1, dLogpUnit);
        be.binary(BinaryOp.MUL, mul(m, DeviceMath.minusFrom(1, vfClip)), scale(d1, 2), dVpredUnit);
        return new Tensor[] {
            mul(m, add(pg1, unary(UnaryOp.RELU, pgGap))), mul(m, add(vf1, unary(UnaryOp.RELU, vfGap))),
            mul(m, pgClip), mul(m, vfClip), mul(m, unary(UnaryOp.SQUARE, diff)), mul(m, ratio), m
        };
    }
}
