package dev.lathe.kernels;

/**
 * The unfused float64 reference: full logits, log-softmax, entropy and their gradients written out directly
 * (entropy's as −p·(log p + H), a different route from the kernel's p·(Σ p·logit − logit)).
 */
final class Float64LogProbs {
    final int n, d, v;
    final double[] logp, entropy;
    private final double[][] p;
    private final double[] h, w;
    private final int[] y;

    /** h [n, d], w [v, d] row-major, y [n] with -100 = ignored. */
    Float64LogProbs(float[] hf, float[] wf, int[] y, int n, int d, int v) {
        this.n = n;
        this.d = d;
        this.v = v;
        this.y = y;
        h = widen(hf);
        w = widen(wf);
        logp = new double[n];
        entropy = new double[n];
        p = new double[n][];
        for (int i = 0; i < n; i++) {
            if (y[i] == -100) continue;
            double[] logits = new double[v];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += h[i * d + j] * w[k * d + j];
                logits[k] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int k = 0; k < v; k++) sum += Math.exp(logits[k] - max);
            double lse = max + Math.log(sum);
            p[i] = new double[v];
            double ent = 0;
            for (int k = 0; k < v; k++) {
                double lp = logits[k] - lse;
                p[i][k] = Math.exp(lp);
                ent -= p[i][k] * lp;
            }
            logp[i] = logits[y[i]] - lse;
            entropy[i] = ent;
        }
    }

    /** dh [n, d] and dw [v, d] of Σ dlogp·logp + Σ dent·entropy. */
    double[][] gradients(double[] dlogp, double[] dent) {
        double[] dh = new double[n * d], dw = new double[v * d];
        for (int i = 0; i < n; i++) {
            if (y[i] == -100) continue;
            for (int k = 0; k < v; k++) {
                double pk = p[i][k];
                double g = dlogp[i] * ((k == y[i] ? 1 : 0) - pk);
                if (dent != null) g += dent[i] * -pk * (Math.log(pk) + entropy[i]);
                for (int j = 0; j < d; j++) {
                    dh[i * d + j] += g * w[k * d + j];
                    dw[k * d + j] += g * h[i * d + j];
                }
            }
        }
        return new double[][] {dh, dw};
    }

    private static double[] widen(float[] f) {
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }
}
