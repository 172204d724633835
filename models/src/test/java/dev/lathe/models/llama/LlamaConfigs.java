package dev.lathe.models.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.core.Tensor;
import java.util.Random;

/** Small Llama-family configurations covering each variant's options, and random non-trivial weights. */
final class LlamaConfigs {
    private LlamaConfigs() {}

    /**
     * Llama with every option on: untied head, q/k/v/o and MLP biases, GQA 4/2, an explicit head_dim 6 ≠ 20/4,
     * and Llama 3 rope scaling whose band (original 64 positions) puts pairs in each of its three regimes.
     */
    static LlamaConfig llama() {
        return LlamaConfig.parse(json("""
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 29, "hidden_size": 20,
                 "intermediate_size": 36, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "head_dim": 6, "rms_norm_eps": 1e-5, "rope_theta": 500.0, "attention_bias": true, "mlp_bias": true,
                 "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 64},
                 "tie_word_embeddings": false, "max_position_embeddings": 128, "eos_token_id": 2}"""));
    }

    /** Qwen2: q/k/v biases (no o_proj bias), GQA 4/1, tied head. */
    static LlamaConfig qwen2() {
        return LlamaConfig.parse(json("""
                {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 31, "hidden_size": 16,
                 "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
                 "rms_norm_eps": 1e-6, "rope_theta": 1000.0, "tie_word_embeddings": true,
                 "max_position_embeddings": 64, "eos_token_id": 3}"""));
    }

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) new ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A model whose every parameter is random (norm weights around 1), so biases and norms all matter. */
    static LlamaModel randomModel(LlamaConfig config, long seed) {
        Random rng = new Random(seed);
        LlamaModel model = LlamaModel.random(config, rng);
        model.namedParameters().forEach((name, p) -> {
            double center = name.contains("norm") ? 1.0 : 0.0;
            for (long i = 0; i < p.numel(); i++) p.setFloat(i, (float) (center + 0.3 * rng.nextGaussian()));
        });
        return model;
    }

    static Tensor ids(int[] ids) {
        return Tensor.ofInts(ids, 1, ids.length);
    }
}
