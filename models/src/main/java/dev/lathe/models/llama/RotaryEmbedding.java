package dev.lathe.models.llama;

import dev.lathe.core.Tensor;

/**
 * Hugging Face's rotary embedding for the Llama family: inverse frequencies θ^(−2i/D) for i < D/2 (Llama 3's
 * scaling applied when configured), and per position p the angles p · invFreq[i]. Angles and their cosines and
 * sines are computed in float64 (exact for every position a model sees) and stored as F32.
 */
final class RotaryEmbedding {
    private final double[] invFreq;

    RotaryEmbedding(int headDim, double theta, Llama3RopeScaling scaling) {
        invFreq = new double[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            double f = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            invFreq[i] = scaling == null ? f : scaling.scale(f);
        }
    }

    /** The cosines and sines of a batch's angles, each F32 [B·T, D/2], in the open scope. */
    record Angles(Tensor cos, Tensor sin) {}

    /** positions I32 [B, T] → the angles of every row's position, computed on the host, on the positions' device. */
    Angles angles(Tensor positions) {
        int[] pos = positions.toIntArray(); // B·T ints, copied to the host when positions live on a device
        int half = invFreq.length;
        float[] cos = new float[pos.length * half], sin = new float[pos.length * half];
        for (int r = 0; r < pos.length; r++) {
            for (int i = 0; i < half; i++) {
                double a = pos[r] * invFreq[i];
                cos[r * half + i] = (float) Math.cos(a);
                sin[r * half + i] = (float) Math.sin(a);
            }
        }
        return new Angles(Tensor.of(cos, pos.length, half).moveTo(positions.device()),
                Tensor.of(sin, pos.length, half).moveTo(positions.device()));
    }
}
