package dev.lathe.models.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated tokenizer files ({@code vocab.json}, {@code merges.txt}, {@code added_tokens.json},
 * {@code tokenizer.json}): loading either gives a tokenizer that encodes and decodes, or throws
 * IllegalArgumentException naming the file (the documented exception).
 */
class TokenizerFilesFuzzTest {
    private static final int MUTATIONS = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A small byte-level BPE: the 256 byte symbols, five merges, one added token. */
    private static final List<String> MERGES = List.of("h e", "l l", "he ll", "o w", "Ġ w");
    private static final String SAMPLE = "hello world <|endoftext|> ow \u00e9\u263a";

    @TempDir
    Path tmp;

    private static Map<String, Integer> vocab() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(byteSymbol(b)), vocab.size());
        for (String m : MERGES) vocab.put(m.replace(" ", ""), vocab.size());
        vocab.put("<|endoftext|>", vocab.size());
        return vocab;
    }

    /** GPT-2's byte → symbol map (printable bytes are themselves, the rest shifted past 255). */
    private static char byteSymbol(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return (char) b;
        int n = 0;
        for (int c = 0; c < b; c++) {
            if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF))) n++;
        }
        return (char) (256 + n);
    }

    private static byte[] tokenizerJson() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.set("vocab", JSON.valueToTree(vocab())); // first, so that the rest is the file's tail
        model.put("type", "BPE");
        ArrayNode merges = model.putArray("merges");
        MERGES.forEach(merges::add);
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 261).put("content", "<|endoftext|>").put("special", true);
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        return JSON.writeValueAsBytes(root);
    }

    @Test
    void mutatedVocabMergesAndAddedTokensOnlyEverThrowIllegalArgumentException() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("vm"));
        byte[] vocab = JSON.writeValueAsBytes(vocab());
        byte[] merges = ("#version: 0.2\n" + String.join("\n", MERGES) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] added = "{\"<|im_start|>\": 262}".getBytes(StandardCharsets.UTF_8);
        String[] names = {"vocab.json", "merges.txt", "added_tokens.json"};
        byte[][] valid = {vocab, merges, added};
        for (int f = 0; f < 3; f++) Files.write(dir.resolve(names[f]), valid[f]);
        int rejected = 0;
        for (int seed = 0; seed < MUTATIONS; seed++) {
            Random rng = new Random(seed);
            int target = rng.nextInt(3);
            Files.write(dir.resolve(names[target]), Mutations.mutate(valid[target], rng));
            rejected += loadOrReject(() -> ByteLevelBpeTokenizer.fromVocabAndMerges(dir), dir, seed);
            Files.write(dir.resolve(names[target]), valid[target]);
        }
        checkReach(rejected);
    }

    @Test
    void mutatedTokenizerJsonOnlyEverThrowsIllegalArgumentException() throws IOException {
        byte[] valid = tokenizerJson();
        Path file = tmp.resolve("tokenizer.json");
        Files.write(file, valid);
        assertArrayEquals(ByteLevelBpeTokenizer.fromTokenizerJson(file).encode(SAMPLE),
                vocabMergesTokenizer().encode(SAMPLE));
        // the vocabulary is most of the file and nearly every edit of it is fatal: half the mutations go to the rest
        int tail = new String(valid, StandardCharsets.UTF_8).indexOf(",\"type\":\"BPE\"");
        int rejected = 0;
        for (int seed = 0; seed < MUTATIONS; seed++) {
            Random rng = new Random(seed);
            byte[] mutated = rng.nextBoolean() ? Mutations.mutate(valid, rng)
                    : concat(Arrays.copyOf(valid, tail), Mutations.mutate(Arrays.copyOfRange(valid, tail, valid.length), rng));
            Files.write(file, mutated);
            rejected += loadOrReject(() -> ByteLevelBpeTokenizer.fromTokenizerJson(file), file, seed);
        }
        checkReach(rejected);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private ByteLevelBpeTokenizer vocabMergesTokenizer() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("reference"));
        Files.write(dir.resolve("vocab.json"), JSON.writeValueAsBytes(vocab()));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
        return ByteLevelBpeTokenizer.fromVocabAndMerges(dir);
    }

    /**
     * 1 when loading threw IllegalArgumentException naming {@code where} (the file, or for the three files the
     * folder: a bad merge may be reported against vocab.json), 0 when the tokenizer loaded and works.
     */
    private static int loadOrReject(Supplier<ByteLevelBpeTokenizer> load, Path where, int seed) {
        try {
            ByteLevelBpeTokenizer tok = load.get();
            tok.decode(tok.encode(SAMPLE));
            return 0;
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith(where.toString()), "seed " + seed + ": " + e.getMessage());
            return 1;
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
    }

    private static void checkReach(int rejected) {
        if (rejected < MUTATIONS / 4 || rejected > MUTATIONS - MUTATIONS / 100) fail("rejected " + rejected + " of " + MUTATIONS);
    }
}
