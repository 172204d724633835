package dev.lathe.models.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading and writing the tokenizer files: GPT-2's {@code vocab.json} (token → id) and {@code merges.txt}
 * ({@code #version: 0.2}, then one "left right" merge per line in rank order), {@code added_tokens.json}
 * (content → id), and Hugging Face's {@code tokenizer.json}. Every problem with a file is an
 * IllegalArgumentException that names the file (and the line of {@code merges.txt}): a missing or unreadable
 * file, one over {@link #MAX_FILE_BYTES}, bytes that are not UTF-8, JSON that is malformed or of the wrong
 * shape, ids that are negative, shared or not below {@link #MAX_ID}.
 */
final class TokenizerFiles {
    static final String VOCAB_JSON = "vocab.json", MERGES_TXT = "merges.txt", ADDED_TOKENS_JSON = "added_tokens.json",
            TOKENIZER_JSON = "tokenizer.json";
    /** Largest tokenizer file read (GPT-2's tokenizer.json is 1.4 MB; the largest published ones about 20 MB). */
    static final long MAX_FILE_BYTES = 256L << 20;
    /** Ids must be below this (2^24, above every published vocabulary): the id → token table is sized by the largest. */
    static final int MAX_ID = 1 << 24;
    private static final String MERGES_HEADER = "#version: 0.2";
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {}

    static ByteLevelBpeTokenizer readVocabAndMerges(Path dir) {
        Path vocabFile = dir.resolve(VOCAB_JSON), mergesFile = dir.resolve(MERGES_TXT);
        Map<String, Integer> vocab = idMap(readJson(vocabFile), vocabFile, "the file");
        List<String[]> merges = new ArrayList<>();
        String[] lines = readString(mergesFile).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) continue;
            merges.add(mergePair(line, mergesFile, "line " + (i + 1)));
        }
        Map<String, Integer> added = new LinkedHashMap<>();
        if (vocab.containsKey(ByteLevelBpeTokenizer.END_OF_TEXT)) {
            added.put(ByteLevelBpeTokenizer.END_OF_TEXT, vocab.get(ByteLevelBpeTokenizer.END_OF_TEXT));
        }
        Path addedFile = dir.resolve(ADDED_TOKENS_JSON);
        if (Files.exists(addedFile)) added.putAll(idMap(readJson(addedFile), addedFile, "the file"));
        return build(vocab, merges, added, vocabFile);
    }

    static ByteLevelBpeTokenizer readTokenizerJson(Path file) {
        JsonNode root = readJson(file);
        JsonNode model = root.path("model");
        if (!model.isObject()) throw bad(file, "no \"model\" object");
        if (model.has("type") && !model.get("type").asText().equals("BPE")) {
            throw bad(file, "model type " + model.get("type") + " is not BPE");
        }
        requireUnset(file, model, "dropout", "continuing_subword_prefix", "end_of_word_suffix");
        if (model.path("byte_fallback").asBoolean(false)) throw bad(file, "\"byte_fallback\": true is not supported");
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        TextNormalizer normalizer;
        PreTokenizer preTokenizer;
        try {
            normalizer = TokenizerJsonSteps.normalizer(root.path("normalizer"));
            preTokenizer = TokenizerJsonSteps.preTokenizer(root.path("pre_tokenizer"));
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }

        Map<String, Integer> vocab = idMap(model.path("vocab"), file, "model.vocab");
        List<String[]> merges = new ArrayList<>();
        JsonNode mergeNodes = model.path("merges");
        if (!mergeNodes.isArray()) throw bad(file, "model.merges is not an array");
        for (int i = 0; i < mergeNodes.size(); i++) {
            JsonNode m = mergeNodes.get(i);
            String where = "model.merges[" + i + "]";
            if (m.isTextual()) {
                merges.add(mergePair(m.asText(), file, where));
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw bad(file, where + " is neither \"left right\" nor [left, right]");
            }
        }
        Map<String, Integer> added = new LinkedHashMap<>();
        JsonNode addedNodes = root.path("added_tokens");
        if (!addedNodes.isMissingNode() && !addedNodes.isNull() && !addedNodes.isArray()) {
            throw bad(file, "added_tokens is not an array");
        }
        for (int i = 0; i < addedNodes.size(); i++) {
            JsonNode t = addedNodes.get(i);
            if (!t.path("content").isTextual() || !isId(t.path("id"))) {
                throw bad(file, "added_tokens[" + i + "] needs a string \"content\" and an integer \"id\" in [0, " + MAX_ID + ")");
            }
            for (String flag : new String[] {"lstrip", "rstrip", "single_word"}) {
                if (t.path(flag).asBoolean(false)) {
                    throw bad(file, "added_tokens[" + i + "]: \"" + flag + "\": true is not supported");
                }
            }
            added.put(t.get("content").asText(), t.get("id").asInt());
        }
        try {
            return new ByteLevelBpeTokenizer(vocab, merges, added, ByteLevelBpeTokenizer.DEFAULT_CACHE_CAPACITY,
                    normalizer, preTokenizer, ignoreMerges, TokenizerConfig.NONE);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
    }

    /** Writes vocab.json, merges.txt and, for added tokens other than {@code <|endoftext|>}, added_tokens.json. */
    static void writeVocabAndMerges(ByteLevelBpeTokenizer tokenizer, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(VOCAB_JSON), JSON.writeValueAsBytes(tokenizer.vocab()));
            StringBuilder sb = new StringBuilder(MERGES_HEADER).append('\n');
            for (String m : tokenizer.merges()) sb.append(m).append('\n');
            Files.writeString(dir.resolve(MERGES_TXT), sb, StandardCharsets.UTF_8);
            Map<String, Integer> extra = new LinkedHashMap<>(tokenizer.addedTokens());
            extra.remove(ByteLevelBpeTokenizer.END_OF_TEXT);
            Path addedFile = dir.resolve(ADDED_TOKENS_JSON);
            if (!extra.isEmpty()) Files.write(addedFile, JSON.writeValueAsBytes(extra));
            else Files.deleteIfExists(addedFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tokenizer to " + dir, e);
        }
    }

    private static ByteLevelBpeTokenizer build(Map<String, Integer> vocab, List<String[]> merges,
            Map<String, Integer> added, Path file) {
        try {
            return new ByteLevelBpeTokenizer(vocab, merges, added, ByteLevelBpeTokenizer.DEFAULT_CACHE_CAPACITY);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
    }

    private static String[] mergePair(String text, Path file, String where) {
        String[] parts = text.split(" ", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw bad(file, where + " is not \"left right\": '" + text + "'");
        }
        return parts;
    }

    /** A JSON object of token → non-negative integer id. */
    private static Map<String, Integer> idMap(JsonNode node, Path file, String what) {
        if (!node.isObject()) throw bad(file, what + " is not a JSON object of token ids");
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            JsonNode id = e.getValue();
            if (!isId(id)) {
                throw bad(file, what + ": the id of '" + e.getKey() + "' is not an integer in [0, " + MAX_ID + ")");
            }
            ids.put(e.getKey(), id.asInt());
        }
        return ids;
    }

    private static boolean isId(JsonNode id) {
        return id.isIntegralNumber() && id.canConvertToInt() && id.asInt() >= 0 && id.asInt() < MAX_ID;
    }

    private static void requireUnset(Path file, JsonNode node, String... keys) {
        for (String k : keys) {
            JsonNode v = node.path(k);
            if (!v.isMissingNode() && !v.isNull() && !(v.isTextual() && v.asText().isEmpty())) {
                throw bad(file, "\"" + k + "\": " + v + " is not supported");
            }
        }
    }

    private static JsonNode readJson(Path file) {
        String text = readString(file);
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw bad(file, "not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String readString(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) throw bad(file, size + " bytes is over the limit of " + MAX_FILE_BYTES);
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw bad(file, "no such file");
        } catch (CharacterCodingException e) {
            throw bad(file, "not valid UTF-8");
        } catch (IOException e) {
            throw bad(file, "cannot read it (" + e + ")");
        }
    }

    private static IllegalArgumentException bad(Path file, String message) {
        return new IllegalArgumentException(file + ": " + message);
    }
}
