package dev.lathe.models.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.core.DType;
import dev.lathe.models.LmConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code config.json} of a Llama-family model (Hugging Face's LlamaConfig, Qwen2Config, Qwen3Config) with
 * each class's defaults for missing keys. The file's JSON is kept whole and written back on save (only
 * {@code torch_dtype} changes). What Lathe cannot compute exactly (another activation, sliding-window attention,
 * an unknown rope_type) is rejected naming the key.
 *
 * @param headDim columns per attention head; Qwen3 sets it explicitly and it may differ from hidden / heads
 * @param attentionBias q/k/v projections carry biases (always for Qwen2; {@code attention_bias} otherwise; Llama's
 *     o_proj then has one too)
 * @param ropeScaling Llama 3's frequency scaling, or null
 * @param numLabels outputs of a sequence-classification head ({@code id2label} entries), or null
 */
public record LlamaConfig(
        LlamaFamily family, int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int heads,
        int kvHeads, int headDim, double rmsNormEps, double ropeTheta, Llama3RopeScaling ropeScaling,
        boolean attentionBias, boolean mlpBias, boolean tieWordEmbeddings, int maxPositions, Integer eosTokenId,
        Integer padTokenId, Integer numLabels, ObjectNode json) implements LmConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    public LlamaConfig {
        if (kvHeads <= 0 || headDim <= 0) throw new IllegalArgumentException("num_key_value_heads " + kvHeads
                + " and head_dim " + headDim + " must be positive");
        if (heads % kvHeads != 0) throw new IllegalArgumentException("num_attention_heads " + heads
                + " is not a multiple of num_key_value_heads " + kvHeads);
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
    }

    /** Reads {@code file}; errors name the file and key. */
    public static LlamaConfig read(Path file) throws IOException {
        JsonNode node = JSON.readTree(Files.readString(file));
        if (!(node instanceof ObjectNode obj)) throw new IllegalArgumentException(file + ": not a JSON object");
        try {
            return parse(obj);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a configuration object (the family from model_type or architectures). */
    public static LlamaConfig parse(ObjectNode json) {
        LlamaFamily family = LlamaFamily.of(json);
        if (family == null) throw new IllegalArgumentException("model_type " + json.path("model_type") + " / architectures "
                + json.path("architectures") + " is not a Llama-family model (llama, qwen2, qwen3)");
        String act = json.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new IllegalArgumentException("hidden_act '" + act + "' is not supported (silu only)");
        if (json.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException("use_sliding_window true is not supported");
        }
        int hidden = required(json, "hidden_size");
        int heads = required(json, "num_attention_heads");
        int kvHeads = json.path("num_key_value_heads").canConvertToInt() ? json.get("num_key_value_heads").asInt() : heads;
        boolean explicitHeadDim = json.path("head_dim").canConvertToInt();
        int headDim = explicitHeadDim ? json.get("head_dim").asInt() : hidden / heads;
        if (!explicitHeadDim && hidden % heads != 0) {
            throw new IllegalArgumentException("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        boolean attentionBias = family == LlamaFamily.QWEN2 || json.path("attention_bias").asBoolean(false);
        JsonNode labels = json.path("id2label");
        return new LlamaConfig(family, required(json, "vocab_size"), hidden, required(json, "intermediate_size"),
                required(json, "num_hidden_layers"), heads, kvHeads, headDim, json.path("rms_norm_eps").asDouble(1e-6),
                json.path("rope_theta").asDouble(10000.0), Llama3RopeScaling.parse(json.path("rope_scaling")),
                attentionBias, json.path("mlp_bias").asBoolean(false), json.path("tie_word_embeddings").asBoolean(false),
                json.path("max_position_embeddings").asInt(2048), firstId(json.path("eos_token_id")),
                firstId(json.path("pad_token_id")), labels.isObject() ? labels.size() : null, json.deepCopy());
    }

    /** Width of the query projection's output: heads × head_dim. */
    public int qWidth() {
        return heads * headDim;
    }

    /** Width of each of the key and value projections' outputs: kv heads × head_dim. */
    public int kvWidth() {
        return kvHeads * headDim;
    }

    /** Qwen3's per-head RMSNorm on queries and keys ({@code q_norm}, {@code k_norm}). */
    public boolean qkNorm() {
        return family == LlamaFamily.QWEN3;
    }

    /** The o_proj bias: Llama's attention_bias covers it, Qwen2 and Qwen3 have none. */
    public boolean outputBias() {
        return family == LlamaFamily.LLAMA && attentionBias;
    }

    @Override
    public Integer eosTokenId() {
        return eosTokenId;
    }

    @Override
    public Integer padTokenId() {
        return padTokenId;
    }

    /**
     * This configuration for the family's *ForSequenceClassification with {@code labels} outputs (id2label,
     * label2id, architectures set as Hugging Face writes them).
     */
    public LlamaConfig forSequenceClassification(int labels) {
        ObjectNode out = json.deepCopy();
        String prefix = switch (family) {
            case LLAMA -> "Llama";
            case QWEN2 -> "Qwen2";
            case QWEN3 -> "Qwen3";
        };
        out.putArray("architectures").add(prefix + "ForSequenceClassification");
        ObjectNode id2label = out.putObject("id2label"), label2id = out.putObject("label2id");
        for (int i = 0; i < labels; i++) {
            id2label.put(Integer.toString(i), "LABEL_" + i);
            label2id.put("LABEL_" + i, i);
        }
        return parse(out);
    }

    /** Writes the configuration as read, with {@code torch_dtype} set to the stored weights' type. */
    public void write(Path file, DType dtype) throws IOException {
        ObjectNode out = json.deepCopy();
        out.put("torch_dtype", switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        });
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out) + "\n");
    }

    private static int required(ObjectNode json, String key) {
        JsonNode n = json.path(key);
        if (!n.canConvertToInt() || n.asInt() <= 0) throw new IllegalArgumentException("'" + key + "' must be a positive integer, got "
                + (n.isMissingNode() ? "none" : n));
        return n.asInt();
    }

    /** A token id, or the first of a list (Llama 3 Instruct lists several eos ids), or null. */
    private static Integer firstId(JsonNode n) {
        if (n.isArray()) return n.isEmpty() ? null : n.get(0).asInt();
        return n.canConvertToInt() ? n.asInt() : null;
    }
}
