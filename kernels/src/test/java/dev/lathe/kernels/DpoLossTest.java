package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DPO losses on hand-made log-probs against the fixture README's formulas written out in float64. */
class DpoLossTest {
    // Four pairs: clear wins, a loss, a near-tie, and a large margin (βh well past the hinge).
    private static final double[] PC = {-12.5, -30.25, -8.0, -5.0};
    private static final double[] PR = {-14.0, -29.0, -8.01, -95.0};
    private static final double[] RC = {-13.0, -31.0, -7.5, -6.0};
    private static final double[] RR = {-13.25, -30.5, -7.75, -50.0};

    /** The README's per-row loss for h and β, ε, in plain float64 (log σ(x) = −log(1 + e^{−x})). */
    private static double rowLoss(DpoLoss.Type type, double h, double beta, double eps) {
        double z = beta * h;
        double logSigPos = -Math.log1p(Math.exp(-z)), logSigNeg = -Math.log1p(Math.exp(z));
        return switch (type) {
            case SIGMOID -> -logSigPos * (1 - eps) - logSigNeg * eps;
            case ROBUST -> (-logSigPos * (1 - eps) + logSigNeg * eps) / (1 - 2 * eps);
            case HINGE -> Math.max(0, 1 - z);
            case IPO -> Math.pow(h - 1 / (2 * beta), 2);
        };
    }

    private static double loss64(DpoLoss.Config c, double[] pc, double[] pr) {
        double total = 0;
        for (int i = 0; i < pc.length; i++) {
            double h = (pc[i] - pr[i]) - (c.referenceFree() ? 0 : RC[i] - RR[i]);
            total += rowLoss(c.type(), h, c.beta(), c.labelSmoothing());
        }
        return total / pc.length;
    }

    @Test
    void everyLossTypeMatchesFloat64WithGradients() {
        for (DpoLoss.Type type : DpoLoss.Type.values()) {
            for (double eps : new double[] {0, 0.1}) {
                for (boolean refFree : new boolean[] {false, true}) {
                    for (double beta : new double[] {0.1, 0.5}) {
                        check(new DpoLoss.Config(type, beta, eps, refFree));
                    }
                }
            }
        }
    }

    private static void check(DpoLoss.Config c) {
        String what = c.toString();
        try (var s = Scope.open()) {
            Tensor pc = tensor(PC).requiresGrad(true), pr = tensor(PR).requiresGrad(true);
            var result = DpoLoss.compute(pc, pr, tensor(RC), tensor(RR), c);
            assertClose(what + " loss", loss64(c, PC, PR), result.loss().item(), 1e-6, 0.1);
            result.loss().backward(Tensor.scalar(2f));
            // Central differences of the float64 loss (step 1e-5 in log-prob units), times the upstream 2.
            for (int i = 0; i < PC.length; i++) {
                for (boolean chosen : new boolean[] {true, false}) {
                    double[] plus = (chosen ? PC : PR).clone(), minus = plus.clone();
                    plus[i] += 1e-5;
                    minus[i] -= 1e-5;
                    double lp = chosen ? loss64(c, plus, PR) : loss64(c, PC, plus);
                    double lm = chosen ? loss64(c, minus, PR) : loss64(c, PC, minus);
                    double want = 2 * (lp - lm) / 2e-5;
                    float got = (chosen ? pc : pr).grad().getFloat(i);
                    assertClose(what + (chosen ? " dchosen" : " drejected") + "[" + i + "]", want, got, 1e-4, 1e-3);
                }
            }
            pc.zeroGrad();
            pr.zeroGrad();
        }
    }

    @Test
    void metricsAreTrlsMeans() {
        double beta = 0.1;
        try (var s = Scope.open()) {
            var result = DpoLoss.compute(tensor(PC), tensor(PR), tensor(RC), tensor(RR), DpoLoss.Config.defaults());
            Map<String, Double> m = result.metrics();
            double chosen = 0, rejected = 0, acc = 0, margin = 0, lc = 0, lr = 0;
            for (int i = 0; i < PC.length; i++) {
                double cr = beta * (PC[i] - RC[i]), rr = beta * (PR[i] - RR[i]);
                chosen += cr / PC.length;
                rejected += rr / PC.length;
                acc += (cr > rr ? 1.0 : 0.0) / PC.length;
                margin += (cr - rr) / PC.length;
                lc += PC[i] / PC.length;
                lr += PR[i] / PC.length;
            }
            assertClose("rewards/chosen", chosen, m.get("rewards/chosen"), 1e-6, 0.1);
            assertClose("rewards/rejected", rejected, m.get("rewards/rejected"), 1e-6, 0.1);
            assertEquals(0.5, m.get("rewards/accuracies"));
            assertEquals(acc, m.get("rewards/accuracies"), 1e-12);
            assertClose("rewards/margins", margin, m.get("rewards/margins"), 1e-6, 0.1);
            assertClose("logps/chosen", lc, m.get("logps/chosen"), 1e-6, 0.1);
            assertClose("logps/rejected", lr, m.get("logps/rejected"), 1e-6, 0.1);
        }
    }

    @Test
    void normaliserSplitsTheBatchExactly() {
        try (var s = Scope.open()) {
            var c = DpoLoss.Config.defaults();
            double full = DpoLoss.compute(tensor(PC), tensor(PR), tensor(RC), tensor(RR), c).loss().item();
            double sum = 0;
            for (int i = 0; i < PC.length; i += 2) {
                sum += DpoLoss.compute(slice(PC, i), slice(PR, i), slice(RC, i), slice(RR, i), c, PC.length).loss().item();
            }
            assertClose("micro-batch sum", full, sum, 1e-6, 0.1);
            assertThrows(IllegalArgumentException.class, () -> DpoLoss.compute(tensor(PC), tensor(PR), null, null, c));
            assertThrows(IllegalArgumentException.class, () -> new DpoLoss.Config(DpoLoss.Type.SIGMOID, 0.1, 0.5, false));
        }
    }

    private static Tensor slice(double[] x, int from) {
        return tensor(new double[] {x[from], x[from + 1]});
    }

    private static Tensor tensor(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return Tensor.of(f, x.length);
    }
}
