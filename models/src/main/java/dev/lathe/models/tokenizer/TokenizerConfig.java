package dev.lathe.models.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a Hugging Face model directory says about its tokens besides the tokenizer itself:
 * {@code tokenizer_config.json}'s {@code eos_token}, {@code pad_token}, {@code bos_token} (a string or an
 * {@code {"content": ...}} object) and {@code chat_template} (a Jinja source, or a list of named ones of which
 * "default" is used), and {@code generation_config.json}'s {@code eos_token_id} (one id or a list: the ids that
 * end generation). Unset fields are null (an empty array for the ids).
 */
public record TokenizerConfig(String eosToken, String padToken, String bosToken, String chatTemplate,
        int[] generationEosIds) {
    /** Nothing set: GPT-2's conventions apply. */
    public static final TokenizerConfig NONE = new TokenizerConfig(null, null, null, null, new int[0]);

    static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json", GENERATION_CONFIG_JSON = "generation_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public TokenizerConfig {
        generationEosIds = generationEosIds.clone();
    }

    @Override
    public int[] generationEosIds() {
        return generationEosIds.clone();
    }

    /** The config files of {@code dir}, each optional. */
    public static TokenizerConfig read(Path dir) {
        String eos = null, pad = null, bos = null, template = null;
        Path file = dir.resolve(TOKENIZER_CONFIG_JSON);
        if (Files.exists(file)) {
            JsonNode root = readJson(file);
            eos = token(root, "eos_token", file);
            pad = token(root, "pad_token", file);
            bos = token(root, "bos_token", file);
            template = chatTemplate(root.path("chat_template"), file);
        }
        int[] eosIds = new int[0];
        Path generation = dir.resolve(GENERATION_CONFIG_JSON);
        if (Files.exists(generation)) {
            JsonNode ids = readJson(generation).path("eos_token_id");
            if (ids.isIntegralNumber()) {
                eosIds = new int[] {ids.asInt()};
            } else if (ids.isArray()) {
                eosIds = new int[ids.size()];
                for (int i = 0; i < eosIds.length; i++) {
                    if (!ids.get(i).isIntegralNumber()) throw bad(generation, "eos_token_id holds a non-integer");
                    eosIds[i] = ids.get(i).asInt();
                }
            } else if (!ids.isMissingNode() && !ids.isNull()) {
                throw bad(generation, "eos_token_id is neither an integer nor a list of them");
            }
        }
        return new TokenizerConfig(eos, pad, bos, template, eosIds);
    }

    private static String token(JsonNode root, String key, Path file) {
        JsonNode v = root.path(key);
        if (v.isMissingNode() || v.isNull()) return null;
        if (v.isTextual()) return v.asText();
        if (v.path("content").isTextual()) return v.get("content").asText();
        throw bad(file, key + " is neither a string nor an object with a \"content\" string");
    }

    private static String chatTemplate(JsonNode v, Path file) {
        if (v.isMissingNode() || v.isNull()) return null;
        if (v.isTextual()) return v.asText();
        if (v.isArray()) {
            for (JsonNode named : v) {
                if (named.path("name").asText().equals("default") && named.path("template").isTextual()) {
                    return named.get("template").asText();
                }
            }
            throw bad(file, "chat_template lists no template named \"default\"");
        }
        throw bad(file, "chat_template is neither a string nor a list of {\"name\", \"template\"}");
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw bad(file, "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad(file, "cannot read it (" + e + ")");
        }
    }

    private static IllegalArgumentException bad(Path file, String message) {
        return new IllegalArgumentException(file + ": " + message);
    }
}
