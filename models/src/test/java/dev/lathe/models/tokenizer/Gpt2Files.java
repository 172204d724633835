package dev.lathe.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** GPT-2's tokenizer files and reference ids from the test resources (gpt2/), loaded once. */
final class Gpt2Files {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path DIR = resource("/gpt2");
    static final ByteLevelBpeTokenizer GPT2 = ByteLevelBpeTokenizer.fromVocabAndMerges(DIR);

    /** One text of the reference tokenization with the ids Hugging Face's GPT-2 tokenizer gives it. */
    record Expected(String text, int[] ids) {}

    private Gpt2Files() {}

    static List<Expected> expected() {
        try {
            List<Expected> out = new ArrayList<>();
            for (JsonNode row : JSON.readTree(DIR.resolve("tokenize_expected.json").toFile())) {
                int[] ids = new int[row.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = row.get("ids").get(i).asInt();
                out.add(new Expected(row.get("text").asText(), ids));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes GPT-2's vocab and merges as a Hugging Face tokenizer.json (as the gpt2 repository's one is laid out),
     * merges alternating between the "left right" and [left, right] forms.
     */
    static Path writeTokenizerJson(Path dir) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 50256).put("content", "<|endoftext|>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false)
                .put("ignore_merges", false);
        model.set("vocab", JSON.readTree(DIR.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        int rank = 0;
        for (String line : Files.readAllLines(DIR.resolve("merges.txt"), StandardCharsets.UTF_8)) {
            if (line.startsWith("#version") || line.isEmpty()) continue;
            String[] parts = line.split(" ");
            if (rank++ % 2 == 0) merges.add(line);
            else merges.addArray().add(parts[0]).add(parts[1]);
        }
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static Path resource(String name) {
        try {
            return Path.of(Gpt2Files.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
