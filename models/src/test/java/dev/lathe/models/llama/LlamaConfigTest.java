package dev.lathe.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Each family's defaults and the configurations Lathe refuses, named by key. */
class LlamaConfigTest {
    private static final String BASE = """
            "vocab_size": 10, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
            "num_attention_heads": 2""";

    @Test
    void familiesAndDefaults() throws IOException {
        LlamaConfig qwen3 = LlamaConfig.read(Qwen3Fixture.dir("policy").resolve("config.json"));
        assertEquals(LlamaFamily.QWEN3, qwen3.family());
        assertEquals(8, qwen3.headDim());
        assertEquals(32, qwen3.qWidth());
        assertEquals(16, qwen3.kvWidth());
        assertTrue(qwen3.qkNorm() && qwen3.tieWordEmbeddings() && !qwen3.attentionBias());
        assertEquals(151645, qwen3.eosTokenId());

        LlamaConfig llama = parse("{\"model_type\": \"llama\", \"eos_token_id\": [7, 9], " + BASE + "}");
        assertEquals(2, llama.kvHeads());
        assertEquals(4, llama.headDim());
        assertEquals(10000.0, llama.ropeTheta());
        assertFalse(llama.tieWordEmbeddings() || llama.attentionBias() || llama.qkNorm());
        assertNull(llama.ropeScaling());
        assertEquals(7, llama.eosTokenId());

        LlamaConfig qwen2 = parse("{\"architectures\": [\"Qwen2ForCausalLM\"], " + BASE + "}");
        assertEquals(LlamaFamily.QWEN2, qwen2.family());
        assertTrue(qwen2.attentionBias() && !qwen2.outputBias());
    }

    @Test
    void unsupportedConfigurationsNameTheirKey() {
        assertRejected("{\"model_type\": \"gpt2\", " + BASE + "}", "model_type");
        assertRejected("{\"model_type\": \"llama\", \"hidden_act\": \"gelu\", " + BASE + "}", "hidden_act");
        assertRejected("{\"model_type\": \"qwen2\", \"use_sliding_window\": true, " + BASE + "}", "use_sliding_window");
        assertRejected("{\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\"}, " + BASE + "}", "rope_scaling");
        assertRejected("{\"model_type\": \"llama\", \"num_key_value_heads\": 3, " + BASE + "}", "num_key_value_heads");
        assertRejected("{\"model_type\": \"llama\", \"vocab_size\": 10, \"hidden_size\": 8}", "num_attention_heads");
    }

    @Test
    void llama3ScalingKeepsHighDividesLowAndBlendsTheBand() {
        var s = new Llama3RopeScaling(8, 1, 4, 8192);
        double high = 2 * Math.PI / 1000, low = 2 * Math.PI / 10000; // wavelengths 1000 (< 2048) and 10000 (> 8192)
        assertEquals(high, s.scale(high), 0);
        assertEquals(low / 8, s.scale(low), 1e-18);
        double mid = 2 * Math.PI / 4096; // smooth = (8192/4096 − 1) / 3 = 1/3
        assertEquals((2.0 / 3) * mid / 8 + (1.0 / 3) * mid, s.scale(mid), 1e-15);
    }

    private static LlamaConfig parse(String json) {
        return LlamaConfig.parse(LlamaConfigs.json(json));
    }

    private static void assertRejected(String json, String key) {
        var e = assertThrows(IllegalArgumentException.class, () -> parse(json));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
