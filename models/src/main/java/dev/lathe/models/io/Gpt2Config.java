package dev.lathe.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.lathe.core.DType;
import dev.lathe.models.LmConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A GPT-2 {@code config.json} (Hugging Face's GPT2Config). Keys missing from a file take GPT2Config's defaults;
 * keys Lathe does not model are kept in {@link #extra()} and written back on save. A configuration that cannot
 * describe a model Lathe computes exactly is rejected with an IllegalArgumentException naming the key (and the
 * file, when read from one).
 *
 * @param nInner MLP width, null for 4 × n_embd
 * @param numLabels outputs of a sequence-classification head (GPT2ForSequenceClassification), else null
 * @param torchDtype storage type of the weights ("float32", "bfloat16", "float16"), or null
 */
public record Gpt2Config(
        int vocabSize, int nPositions, int nCtx, int nEmbd, int nLayer, int nHead, Integer nInner,
        String activationFunction, double layerNormEpsilon, double initializerRange, boolean tieWordEmbeddings,
        Integer bosTokenId, Integer eosTokenId, Integer padTokenId, String modelType, List<String> architectures,
        String torchDtype, Integer numLabels, Map<String, Object> extra) implements LmConfig {

    /** The tanh-form GELUs; GPT-2's exact computation. */
    public static final Set<String> ACTIVATIONS = Set.of("gelu_new", "gelu_pytorch_tanh");

    /** Largest config.json read; Hugging Face's are a few kilobytes. */
    public static final long MAX_FILE_BYTES = 1L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter PRETTY = JSON.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"))
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    public Gpt2Config {
        architectures = architectures == null ? List.of() : List.copyOf(architectures);
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra == null ? Map.of() : extra));
        validate(vocabSize, nPositions, nCtx, nEmbd, nLayer, nHead, nInner, activationFunction, layerNormEpsilon,
                initializerRange, tieWordEmbeddings, bosTokenId, eosTokenId, padTokenId, modelType, numLabels, extra);
    }

    /** A GPT2LMHeadModel configuration with GPT2Config's defaults for everything but the sizes. */
    public static Gpt2Config of(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead) {
        return new Gpt2Config(vocabSize, nPositions, nPositions, nEmbd, nLayer, nHead, null, "gelu_new", 1e-5, 0.02,
                true, vocabSize - 1, vocabSize - 1, null, "gpt2", List.of("GPT2LMHeadModel"), "float32", null, Map.of());
    }

    /** Width of the MLP's hidden layer. */
    public int mlpHidden() {
        return nInner == null ? 4 * nEmbd : nInner;
    }

    @Override
    public int hiddenSize() {
        return nEmbd;
    }

    @Override
    public int maxPositions() {
        return nPositions;
    }

    /** This configuration with the weights' storage type set as {@code torch_dtype} spells it. */
    public Gpt2Config withTorchDtype(DType dtype) {
        return new Gpt2Config(vocabSize, nPositions, nCtx, nEmbd, nLayer, nHead, nInner, activationFunction,
                layerNormEpsilon, initializerRange, tieWordEmbeddings, bosTokenId, eosTokenId, padTokenId, modelType,
                architectures, torchName(dtype), numLabels, extra);
    }

    /** This configuration as GPT2LMHeadModel (no classification head). */
    public Gpt2Config forCausalLm() {
        return new Gpt2Config(vocabSize, nPositions, nCtx, nEmbd, nLayer, nHead, nInner, activationFunction,
                layerNormEpsilon, initializerRange, tieWordEmbeddings, bosTokenId, eosTokenId, padTokenId, modelType,
                List.of("GPT2LMHeadModel"), torchDtype, null, extra);
    }

    /** This configuration as GPT2ForSequenceClassification with {@code numLabels} outputs and a padding token. */
    public Gpt2Config forSequenceClassification(int numLabels, Integer padTokenId) {
        return new Gpt2Config(vocabSize, nPositions, nCtx, nEmbd, nLayer, nHead, nInner, activationFunction,
                layerNormEpsilon, initializerRange, tieWordEmbeddings, bosTokenId, eosTokenId, padTokenId, modelType,
                List.of("GPT2ForSequenceClassification"), torchDtype, numLabels, extra);
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads {@code file}; a malformed or unsupported configuration (over {@link #MAX_FILE_BYTES}, not UTF-8, not a
     * JSON object, a key of the wrong type or value) is an IllegalArgumentException naming file and key; a file
     * that cannot be read at all is an IOException.
     */
    public static Gpt2Config read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(file + ": " + size + " bytes is over the limit of " + MAX_FILE_BYTES);
        }
        JsonNode root;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            root = JSON.readTree(text);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": not a JSON object");
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static Gpt2Config fromJson(JsonNode root) {
        var k = new Keys(root);
        int vocab = k.integer("vocab_size", 50257);
        int positions = k.integer("n_positions", 1024);
        int ctx = k.integer("n_ctx", positions);
        int embd = k.integer("n_embd", 768);
        int layers = k.integer("n_layer", 12);
        int heads = k.integer("n_head", 12);
        Integer inner = k.optionalInteger("n_inner", null);
        String activation = k.text("activation_function", "gelu_new");
        double eps = k.number("layer_norm_epsilon", 1e-5);
        double initRange = k.number("initializer_range", 0.02);
        boolean tie = k.bool("tie_word_embeddings", true);
        Integer bos = k.optionalInteger("bos_token_id", 50256);
        Integer eos = k.optionalInteger("eos_token_id", 50256);
        Integer pad = k.optionalInteger("pad_token_id", null);
        String type = k.text("model_type", "gpt2");
        List<String> arch = k.texts("architectures");
        String dtype = k.text("torch_dtype", null);
        String newerDtype = k.text("dtype", null); // the key's name in recent Hugging Face releases
        Integer labels = k.optionalInteger("num_labels", null);
        if (labels == null && root.get("id2label") instanceof JsonNode l && l.isObject()) labels = l.size();
        return new Gpt2Config(vocab, positions, ctx, embd, layers, heads, inner, activation, eps, initRange, tie, bos,
                eos, pad, type, arch, dtype != null ? dtype : newerDtype, labels, k.unused());
    }

    /** Typed access to a config object's keys, remembering which were read. */
    private static final class Keys {
        private final JsonNode root;
        private final Set<String> used = new HashSet<>();

        Keys(JsonNode root) {
            this.root = root;
        }

        private JsonNode take(String key) {
            used.add(key);
            JsonNode v = root.get(key);
            return v == null || v.isNull() ? null : v;
        }

        int integer(String key, int absent) {
            Integer v = optionalInteger(key, absent);
            return v == null ? absent : v;
        }

        Integer optionalInteger(String key, Integer absent) {
            if (!root.has(key)) {
                used.add(key);
                return absent;
            }
            JsonNode v = take(key);
            if (v == null) return null;
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw bad(key, "an integer", v);
            return v.intValue();
        }

        double number(String key, double absent) {
            JsonNode v = take(key);
            if (v == null) return absent;
            if (!v.isNumber()) throw bad(key, "a number", v);
            return v.doubleValue();
        }

        boolean bool(String key, boolean absent) {
            JsonNode v = take(key);
            if (v == null) return absent;
            if (!v.isBoolean()) throw bad(key, "true or false", v);
            return v.booleanValue();
        }

        String text(String key, String absent) {
            JsonNode v = take(key);
            if (v == null) return absent;
            if (!v.isTextual()) throw bad(key, "a string", v);
            return v.textValue();
        }

        List<String> texts(String key) {
            JsonNode v = take(key);
            if (v == null) return List.of();
            if (!v.isArray()) throw bad(key, "a list of strings", v);
            var out = new java.util.ArrayList<String>();
            for (JsonNode e : v) {
                if (!e.isTextual()) throw bad(key, "a list of strings", v);
                out.add(e.textValue());
            }
            return out;
        }

        Map<String, Object> unused() {
            Map<String, Object> out = new LinkedHashMap<>();
            for (var e : root.properties()) {
                if (!used.contains(e.getKey())) out.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
            }
            return out;
        }

        private static IllegalArgumentException bad(String key, String expected, JsonNode got) {
            return new IllegalArgumentException("key '" + key + "': expected " + expected + ", got " + got);
        }
    }

    // ---------------------------------------------------------------- validation

    private static void validate(int vocab, int positions, int ctx, int embd, int layers, int heads, Integer inner,
                                 String activation, double eps, double initRange, boolean tie, Integer bos,
                                 Integer eos, Integer pad, String type, Integer labels, Map<String, Object> extra) {
        require(type == null || type.equals("gpt2"), "model_type", "'" + type + "' is not gpt2");
        require(vocab > 0, "vocab_size", vocab + " is not positive");
        require(positions > 0, "n_positions", positions + " is not positive");
        require(ctx > 0, "n_ctx", ctx + " is not positive");
        require(embd > 0, "n_embd", embd + " is not positive");
        require(layers > 0, "n_layer", layers + " is not positive");
        require(heads > 0, "n_head", heads + " is not positive");
        require(embd % heads == 0, "n_embd", embd + " is not divisible by n_head " + heads);
        require(inner == null || inner > 0, "n_inner", inner + " is not positive");
        require(ACTIVATIONS.contains(activation), "activation_function",
                "'" + activation + "' is not one of " + ACTIVATIONS + " (GPT-2's tanh GELU)");
        require(eps > 0 && Double.isFinite(eps), "layer_norm_epsilon", eps + " is not a positive number");
        require(initRange >= 0 && Double.isFinite(initRange), "initializer_range", initRange + " is not a non-negative number");
        require(tie, "tie_word_embeddings", "false: an untied GPT-2 LM head is not supported");
        for (var id : new Object[][] {{"bos_token_id", bos}, {"eos_token_id", eos}, {"pad_token_id", pad}}) {
            Integer v = (Integer) id[1];
            require(v == null || (v >= 0 && v < vocab), (String) id[0], v + " is outside the vocabulary [0, " + vocab + ")");
        }
        require(labels == null || labels > 0, "num_labels", labels + " is not positive");
        require(!Boolean.FALSE.equals(extra.get("scale_attn_weights")), "scale_attn_weights", "false is not supported");
        require(!Boolean.TRUE.equals(extra.get("scale_attn_by_inverse_layer_idx")), "scale_attn_by_inverse_layer_idx",
                "true is not supported");
        require(!Boolean.TRUE.equals(extra.get("add_cross_attention")), "add_cross_attention", "true is not supported");
    }

    private static void require(boolean ok, String key, String problem) {
        if (!ok) throw new IllegalArgumentException("key '" + key + "': " + problem);
    }

    // ---------------------------------------------------------------- writing

    /** Writes this configuration as {@code config.json} is written by Hugging Face: keys sorted, two-space indent. */
    public void write(Path file) throws IOException {
        Map<String, Object> out = new TreeMap<>(extra);
        out.put("vocab_size", vocabSize);
        out.put("n_positions", nPositions);
        out.put("n_ctx", nCtx);
        out.put("n_embd", nEmbd);
        out.put("n_layer", nLayer);
        out.put("n_head", nHead);
        out.put("n_inner", nInner);
        out.put("activation_function", activationFunction);
        out.put("layer_norm_epsilon", layerNormEpsilon);
        out.put("initializer_range", initializerRange);
        out.put("tie_word_embeddings", tieWordEmbeddings);
        out.put("bos_token_id", bosTokenId);
        out.put("eos_token_id", eosTokenId);
        if (padTokenId != null) out.put("pad_token_id", padTokenId);
        out.put("model_type", modelType == null ? "gpt2" : modelType);
        if (!architectures.isEmpty()) out.put("architectures", architectures);
        if (torchDtype != null) out.put("torch_dtype", torchDtype);
        if (numLabels != null) out.put("num_labels", numLabels);
        Files.writeString(file, PRETTY.writeValueAsString(out) + "\n");
    }

    /** torch_dtype's spelling of a storage type. */
    public static String torchName(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case I32 -> throw new IllegalArgumentException("weights cannot be stored as I32");
        };
    }
}
