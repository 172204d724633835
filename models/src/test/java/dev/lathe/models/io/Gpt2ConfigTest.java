package dev.lathe.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.models.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Gpt2ConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void readsTheReferenceConfigs() throws IOException {
        Gpt2Config policy = Gpt2Config.read(Fixtures.gpt2Tiny("policy").resolve("config.json"));
        assertEquals(50257, policy.vocabSize());
        assertEquals(32, policy.nEmbd());
        assertEquals(2, policy.nLayer());
        assertEquals(4, policy.nHead());
        assertEquals(128, policy.nPositions());
        assertEquals(128, policy.mlpHidden());
        assertEquals("gelu_new", policy.activationFunction());
        assertEquals(1e-5, policy.layerNormEpsilon());
        assertEquals("bfloat16", policy.torchDtype());
        assertEquals(50256, policy.eosTokenId());
        assertNull(policy.padTokenId());
        assertNull(policy.numLabels());

        Gpt2Config rm = Gpt2Config.read(Fixtures.gpt2Tiny("rm").resolve("config.json"));
        assertEquals(List.of("GPT2ForSequenceClassification"), rm.architectures());
        assertEquals(1, rm.numLabels());
        assertEquals(50256, rm.padTokenId());
        assertEquals("float32", rm.torchDtype());
    }

    /** Missing keys take GPT2Config's defaults. */
    @Test
    void missingKeysTakeHuggingFaceDefaults() throws IOException {
        Path file = Files.writeString(tmp.resolve("config.json"), "{}");
        Gpt2Config c = Gpt2Config.read(file);
        assertEquals(50257, c.vocabSize());
        assertEquals(768, c.nEmbd());
        assertEquals(12, c.nHead());
        assertEquals(1024, c.nCtx());
        assertEquals(3072, c.mlpHidden());
        assertEquals(50256, c.bosTokenId());
    }

    @Test
    void writeThenReadKeepsEveryKeyIncludingUnknownOnes() throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(Fixtures.gpt2Tiny("rm").resolve("config.json").toFile());
        json.put("resid_pdrop", 0.1);
        json.putObject("task_specific_params").putObject("text-generation").put("max_length", 50);
        json.put("n_inner", 96);
        Path file = tmp.resolve("config.json");
        JSON.writeValue(file.toFile(), json);
        Gpt2Config read = Gpt2Config.read(file);
        assertEquals(0.1, read.extra().get("resid_pdrop"));
        assertEquals(Map.of("text-generation", Map.of("max_length", 50)), read.extra().get("task_specific_params"));
        assertEquals(96, read.mlpHidden());

        Path again = tmp.resolve("again.json");
        read.write(again);
        assertEquals(read, Gpt2Config.read(again));
        // Written back: every key read, plus the defaults filled in (as Hugging Face writes them too).
        json.put("initializer_range", 0.02);
        assertEquals(json, JSON.readTree(again.toFile()));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "n_head|5", "n_embd|30", "activation_function|\"relu\"", "activation_function|\"gelu\"",
            "model_type|\"llama\"", "tie_word_embeddings|false", "n_layer|0", "n_embd|\"32\"", "vocab_size|-1",
            "eos_token_id|50257", "layer_norm_epsilon|0", "num_labels|0", "scale_attn_by_inverse_layer_idx|true",
            "n_positions|1.5", "architectures|\"GPT2LMHeadModel\""})
    void rejectsWhatCannotDescribeTheModel(String key, String value) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(Fixtures.gpt2Tiny("policy").resolve("config.json").toFile());
        json.set(key, JSON.readTree(value));
        Path file = tmp.resolve("config.json");
        JSON.writeValue(file.toFile(), json);
        var e = assertThrows(IllegalArgumentException.class, () -> Gpt2Config.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        // n_head 5 breaks the n_embd check; every other case is named by its own key.
        assertTrue(e.getMessage().contains("'" + (key.equals("n_head") ? "n_embd" : key) + "'"), e.getMessage());
    }
}
