package dev.lathe.models.llama;

import dev.lathe.core.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * An independent float64 forward of a Llama-family model for one unpadded row, written from Hugging Face's
 * modeling code: RMSNorm, q/k/v (biases), Qwen3's per-head q/k norm, rotate-half RoPE at positions 0..T-1 with
 * Llama 3 scaling, grouped-query causal softmax attention, SwiGLU, tied or untied head.
 */
final class LlamaReference {
    private final LlamaConfig c;
    private final Map<String, double[]> w = new HashMap<>();

    LlamaReference(LlamaConfig config, Map<String, Tensor> params) {
        this.c = config;
        params.forEach((k, v) -> {
            float[] f = v.toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            w.put(k, d);
        });
    }

    /** Overwrites one parameter element (for finite differences). */
    void set(String name, int index, double value) {
        w.get(name)[index] = value;
    }

    double get(String name, int index) {
        return w.get(name)[index];
    }

    /** ids [T] → logits [T][V]. */
    double[][] logits(int[] ids) {
        int t = ids.length, hs = c.hiddenSize();
        double[][] x = new double[t][];
        double[] emb = w.get("model.embed_tokens.weight");
        for (int i = 0; i < t; i++) x[i] = java.util.Arrays.copyOfRange(emb, ids[i] * hs, (ids[i] + 1) * hs);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] h = norm(x, w.get(p + "input_layernorm.weight"));
            double[][] a = attention(h, p + "self_attn.");
            for (int i = 0; i < t; i++) for (int j = 0; j < hs; j++) x[i][j] += a[i][j];
            h = norm(x, w.get(p + "post_attention_layernorm.weight"));
            double[][] gate = linear(h, p + "mlp.gate_proj"), up = linear(h, p + "mlp.up_proj");
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < gate[i].length; j++) gate[i][j] = gate[i][j] / (1 + Math.exp(-gate[i][j])) * up[i][j];
            }
            double[][] m = linear(gate, p + "mlp.down_proj");
            for (int i = 0; i < t; i++) for (int j = 0; j < hs; j++) x[i][j] += m[i][j];
        }
        double[][] h = norm(x, w.get("model.norm.weight"));
        double[] head = c.tieWordEmbeddings() ? emb : w.get("lm_head.weight");
        return matmulT(h, head, c.vocabSize(), null);
    }

    private double[][] attention(double[][] h, String p) {
        int t = h.length, d = c.headDim(), groups = c.heads() / c.kvHeads();
        double[][] q = linear(h, p + "q_proj"), k = linear(h, p + "k_proj"), v = linear(h, p + "v_proj");
        if (c.qkNorm()) {
            headNorm(q, c.heads(), w.get(p + "q_norm.weight"));
            headNorm(k, c.kvHeads(), w.get(p + "k_norm.weight"));
        }
        rope(q, c.heads());
        rope(k, c.kvHeads());
        double[][] out = new double[t][c.heads() * d];
        for (int hd = 0; hd < c.heads(); hd++) {
            int kh = hd / groups;
            for (int i = 0; i < t; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int e = 0; e < d; e++) dot += q[i][hd * d + e] * k[j][kh * d + e];
                    s[j] = dot / Math.sqrt(d);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j <= i; j++) z += s[j] = Math.exp(s[j] - max);
                for (int j = 0; j <= i; j++) {
                    for (int e = 0; e < d; e++) out[i][hd * d + e] += s[j] / z * v[j][kh * d + e];
                }
            }
        }
        return linear(out, p + "o_proj");
    }

    /** HF: x·cos + rotate_half(x)·sin at position i, inv_freq θ^(−2j/D) (Llama 3 scaled). */
    private void rope(double[][] x, int heads) {
        int d = c.headDim(), half = d / 2;
        for (int i = 0; i < x.length; i++) {
            for (int hd = 0; hd < heads; hd++) {
                double[] row = java.util.Arrays.copyOfRange(x[i], hd * d, hd * d + d);
                for (int j = 0; j < d; j++) {
                    double f = invFreq(j % half);
                    double rot = j < half ? -row[j + half] : row[j - half];
                    x[i][hd * d + j] = row[j] * Math.cos(i * f) + rot * Math.sin(i * f);
                }
            }
        }
    }

    private double invFreq(int j) {
        double f = 1.0 / Math.pow(c.ropeTheta(), 2.0 * j / c.headDim());
        Llama3RopeScaling s = c.ropeScaling();
        if (s == null) return f;
        double wavelen = 2 * Math.PI / f;
        double low = s.originalMaxPositions() / s.lowFreqFactor(), high = s.originalMaxPositions() / s.highFreqFactor();
        if (wavelen < high) return f;
        if (wavelen > low) return f / s.factor();
        double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        return (1 - smooth) * f / s.factor() + smooth * f;
    }

    private void headNorm(double[][] x, int heads, double[] g) {
        int d = c.headDim();
        for (double[] row : x) {
            for (int hd = 0; hd < heads; hd++) {
                double ss = 0;
                for (int e = 0; e < d; e++) ss += row[hd * d + e] * row[hd * d + e];
                double r = 1 / Math.sqrt(ss / d + c.rmsNormEps());
                for (int e = 0; e < d; e++) row[hd * d + e] *= r * g[e];
            }
        }
    }

    private double[][] norm(double[][] x, double[] g) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ss = 0;
            for (double v : x[i]) ss += v * v;
            double r = 1 / Math.sqrt(ss / x[i].length + c.rmsNormEps());
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) out[i][j] = x[i][j] * r * g[j];
        }
        return out;
    }

    private double[][] linear(double[][] x, String name) {
        double[] weight = w.get(name + ".weight");
        return matmulT(x, weight, weight.length / x[0].length, w.get(name + ".bias"));
    }

    /** x [T, in] @ W[out, in]ᵀ + b. */
    private static double[][] matmulT(double[][] x, double[] weight, int outF, double[] bias) {
        int in = x[0].length;
        double[][] out = new double[x.length][outF];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < outF; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int e = 0; e < in; e++) s += x[i][e] * weight[o * in + e];
                out[i][o] = s;
            }
        }
        return out;
    }
}
