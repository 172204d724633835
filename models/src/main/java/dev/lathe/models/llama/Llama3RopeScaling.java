package dev.lathe.models.llama;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Llama 3's rope_scaling ({@code rope_type "llama3"}): low frequencies divided by {@code factor}, high ones kept,
 * the band between interpolated (Hugging Face's {@code _compute_llama3_parameters}).
 */
public record Llama3RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {

    /** null for an absent, null or "default" rope_scaling; an IllegalArgumentException for another type. */
    static Llama3RopeScaling parse(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) return null;
        String type = node.path("rope_type").asText(node.path("type").asText("default"));
        if (type.equals("default")) return null;
        if (!type.equals("llama3")) throw new IllegalArgumentException("rope_scaling type '" + type + "' is not supported (llama3 only)");
        return new Llama3RopeScaling(node.path("factor").asDouble(8.0), node.path("low_freq_factor").asDouble(1.0),
                node.path("high_freq_factor").asDouble(4.0), node.path("original_max_position_embeddings").asInt(8192));
    }

    /** Scales one inverse frequency. */
    double scale(double invFreq) {
        double lowWavelen = originalMaxPositions / lowFreqFactor, highWavelen = originalMaxPositions / highFreqFactor;
        double wavelen = 2 * Math.PI / invFreq;
        if (wavelen < highWavelen) return invFreq;
        if (wavelen > lowWavelen) return invFreq / factor;
        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }
}
