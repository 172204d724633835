package dev.lathe.models.tokenizer;

import static dev.lathe.models.tokenizer.Gpt2Files.GPT2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPT-2's tokenizer against Hugging Face's ids, round trips, decoding of broken UTF-8, files. */
class ByteLevelBpeTokenizerTest {
    private static final String[] TRICKY = {
        "", " ", "a", "Hello, world!", "emoji 🙂👍🏽 and 👨‍👩‍👧 families", "日本語のテキスト、中文文本。한국어",
        "combining e\u0301 a\u0308 n\u0303 \u0915\u094d\u0937", "line\r\nbreak\rcarriage\n\n\nnewlines", "tabs\t\tand\t",
        "no\u00a0break\u3000ideographic\u2028line\u2029para\u0085next\u1680ogham", "     runs   of  spaces     ",
        "don't I'm we'll you've they're she'd it's DON'T", "before<|endoftext|>after <|endoftext|><|endoftext|> x",
        "<|endoftext", "numbers 3.14159 1,000,000 ½ Ⅻ ²³", "math ∑∫√∞ ≠ ≤ and symbols @#$%^&*()[]{}",
        "\u0000\u0001\u001f\u007f control", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 \uD800\uDC00 \uDBFF\uDFFF", " leading and trailing ",
        "ﬁ ligature", "مرحبا بالعالم", "Привет, мир", "\uFEFFbom and zero\u200bwidth",
    };

    @Test
    void idsMatchHuggingFaceFromVocabAndMerges() {
        for (Gpt2Files.Expected e : Gpt2Files.expected()) {
            assertArrayEquals(e.ids(), GPT2.encode(e.text()), e.text());
            assertEquals(e.text(), GPT2.decode(e.ids()));
        }
    }

    @Test
    void idsMatchHuggingFaceFromTokenizerJson(@TempDir Path dir) throws IOException {
        ByteLevelBpeTokenizer fromJson = ByteLevelBpeTokenizer.fromTokenizerJson(Gpt2Files.writeTokenizerJson(dir));
        for (Gpt2Files.Expected e : Gpt2Files.expected()) assertArrayEquals(e.ids(), fromJson.encode(e.text()));
        assertEquals(GPT2.merges(), fromJson.merges());
        assertEquals(50257, fromJson.vocabSize());
        assertEquals(50256, fromJson.eosTokenId());
        // fromDirectory prefers tokenizer.json; with only vocab.json + merges.txt it reads those
        assertEquals(50256, ByteLevelBpeTokenizer.fromDirectory(dir).eosTokenId());
        assertEquals(GPT2.merges(), ByteLevelBpeTokenizer.fromDirectory(Gpt2Files.DIR).merges());
    }

    @Test
    void vocabularyFacts() {
        assertEquals(50257, GPT2.vocabSize());
        assertEquals(50256, GPT2.eosTokenId());
        assertEquals("<|endoftext|>", GPT2.idToToken(50256));
        assertEquals(50000, GPT2.merges().size());
        assertEquals("Ġ t", GPT2.merges().get(0));
        assertEquals(220, GPT2.tokenToId("Ġ"));
        assertEquals(-1, GPT2.tokenToId("no such token"));
        assertThrows(IllegalArgumentException.class, () -> GPT2.idToToken(50257));
        assertThrows(IllegalArgumentException.class, () -> GPT2.decode(new int[] {-1}));
    }

    @Test
    void endOfTextIsCutOutOfTheText() {
        int eos = GPT2.eosTokenId();
        int[] ids = GPT2.encode("a<|endoftext|>b");
        assertArrayEquals(new int[] {GPT2.tokenToId("a"), eos, GPT2.tokenToId("b")}, ids);
        // the text on each side is pre-tokenized on its own: the space before the token stays a lone 'Ġ'
        assertArrayEquals(new int[] {GPT2.tokenToId("Ġ"), eos, GPT2.tokenToId("Ġx")},
                GPT2.encode(" <|endoftext|> x"));
        assertArrayEquals(new int[] {eos, eos}, GPT2.encode("<|endoftext|><|endoftext|>"));
        // not a whole special token: plain text
        assertTrue(Arrays.stream(GPT2.encode("<|endoftext")).noneMatch(id -> id == eos));
    }

    @Test
    void trickyStringsRoundTrip() {
        for (String s : TRICKY) {
            int[] ids = GPT2.encode(s);
            assertEquals(s, GPT2.decode(ids), s);
            for (int id : ids) assertTrue(id >= 0 && id < GPT2.vocabSize());
        }
        // an emoji is one piece of 4 bytes, split only by BPE: its tokens decode to its bytes, none to U+FFFD
        assertArrayEquals(GPT2.encode("🙂"), Arrays.copyOfRange(GPT2.encode("emoji🙂"), GPT2.encode("emoji").length,
                GPT2.encode("emoji🙂").length));
    }

    @Test
    void randomTextRoundTrips() {
        SplittableRandom rnd = new SplittableRandom(7);
        int[] pool = " \t\n\r\u00a0\u3000'sdtlmrevXYZabc0123456789.,!?-日本語éüß\u0301".codePoints().toArray();
        int[] astral = {0x1F642, 0x1F44D, 0x1D518, 0x20000};
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(60);
            for (int i = 0; i < len; i++) {
                boolean rare = rnd.nextInt(10) == 0;
                sb.appendCodePoint(rare ? astral[rnd.nextInt(astral.length)] : pool[rnd.nextInt(pool.length)]);
            }
            String s = sb.toString();
            assertEquals(s, GPT2.decode(GPT2.encode(s)), s);
        }
    }

    @Test
    void invalidUtf8DecodesToOneReplacementPerMaximalSubpart() {
        // Unicode's "U+FFFD substitution of maximal subparts" (Python's errors="replace")
        assertEquals("\uFFFD", decodeBytes(0xF0, 0x9F, 0x99));           // an emoji cut short
        assertEquals("\uFFFD", decodeBytes(0x80));                       // a lone continuation byte
        assertEquals("\uFFFDA", decodeBytes(0xC3, 'A'));                 // a lead byte without its continuation
        assertEquals("\uFFFD\uFFFD\uFFFD", decodeBytes(0xED, 0xA0, 0x80)); // an encoded surrogate
        assertEquals("\uFFFD\uFFFD", decodeBytes(0xC0, 0xAF));             // an overlong '/'
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", decodeBytes(0xF4, 0x90, 0x80, 0x80)); // above U+10FFFF
        assertEquals("\uFFFDx", decodeBytes(0xE2, 0x82, 'x'));
        assertEquals("\uFFFD\uFFFD", decodeBytes(0xFF, 0xFE));
        assertEquals("a🙂\uFFFD", decodeBytes('a', 0xF0, 0x9F, 0x99, 0x82, 0x9F));
        // GPT-2's two tokens of 🙂 ('ðŁ' = F0 9F, 'ĻĤ' = 99 82) decode to it together and to U+FFFD alone
        int[] emoji = GPT2.encode("🙂");
        assertEquals(2, emoji.length);
        assertEquals("🙂", GPT2.decode(emoji));
        assertEquals("\uFFFD", GPT2.decode(new int[] {emoji[0]}));
        assertEquals("\uFFFD\uFFFD", GPT2.decode(new int[] {emoji[1]}));
    }

    @Test
    void validUtf8DecodesLikeTheJdk() {
        for (String s : TRICKY) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(new String(bytes, StandardCharsets.UTF_8), Utf8Decoder.decode(bytes, bytes.length));
        }
    }

    private static String decodeBytes(int... bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = GPT2.tokenToId(String.valueOf(ByteUnicode.charOf(bytes[i])));
        return GPT2.decode(ids);
    }

    @Test
    void saveAndLoadGiveIdenticalIds(@TempDir Path dir) throws IOException {
        GPT2.save(dir);
        ByteLevelBpeTokenizer loaded = ByteLevelBpeTokenizer.fromVocabAndMerges(dir);
        assertEquals(GPT2.merges(), loaded.merges());
        assertEquals(GPT2.vocabSize(), loaded.vocabSize());
        for (String s : TRICKY) assertArrayEquals(GPT2.encode(s), loaded.encode(s), s);
        for (Gpt2Files.Expected e : Gpt2Files.expected()) assertArrayEquals(e.ids(), loaded.encode(e.text()));
        assertEquals("#version: 0.2", Files.readAllLines(dir.resolve("merges.txt")).get(0));
        assertTrue(Files.notExists(dir.resolve("added_tokens.json")));
    }

    @Test
    void addedTokensBesidesEndOfTextSurviveSaving(@TempDir Path dir) throws IOException {
        Path json = Gpt2Files.writeTokenizerJson(dir);
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) Gpt2Files.JSON.readTree(json.toFile());
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("added_tokens")).addObject()
                .put("id", 50257).put("content", "<|im_start|>").put("special", true);
        Gpt2Files.JSON.writeValue(json.toFile(), root);
        ByteLevelBpeTokenizer withChat = ByteLevelBpeTokenizer.fromTokenizerJson(json);
        int[] ids = withChat.encode("<|im_start|>user hi<|endoftext|>");
        assertEquals(50257, ids[0]);
        assertEquals(50256, ids[ids.length - 1]);
        assertEquals("<|im_start|>user hi<|endoftext|>", withChat.decode(ids));
        assertEquals(50258, withChat.vocabSize());

        Path saved = dir.resolve("saved");
        withChat.save(saved);
        assertEquals(Map.of("<|im_start|>", 50257),
                Gpt2Files.JSON.readValue(saved.resolve("added_tokens.json").toFile(), Map.class));
        assertArrayEquals(ids,
                ByteLevelBpeTokenizer.fromVocabAndMerges(saved).encode("<|im_start|>user hi<|endoftext|>"));
    }

    @Test
    void concurrentEncodingGivesTheSameIds() throws Exception {
        ByteLevelBpeTokenizer fresh = GPT2.withCacheCapacity(50); // a small cache: fills up while threads race
        List<String> texts = new ArrayList<>();
        for (Gpt2Files.Expected e : Gpt2Files.expected()) texts.add(e.text());
        texts.addAll(List.of(TRICKY));
        List<int[]> want = texts.stream().map(GPT2::encode).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<int[]>>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                runs.add(pool.submit(() -> {
                    List<int[]> out = new ArrayList<>();
                    for (int rep = 0; rep < 20; rep++) for (String s : texts) out.add(fresh.encode(s));
                    return out;
                }));
            }
            for (Future<List<int[]>> run : runs) {
                List<int[]> got = run.get();
                for (int i = 0; i < got.size(); i++) {
                    assertArrayEquals(want.get(i % texts.size()), got.get(i));
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void badFilesNameTheFile(@TempDir Path dir) throws IOException {
        var missing = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpeTokenizer.fromVocabAndMerges(dir));
        assertTrue(missing.getMessage().contains("vocab.json"), missing.getMessage());

        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0,");
        var malformed = assertThrows(IllegalArgumentException.class,
                () -> ByteLevelBpeTokenizer.fromVocabAndMerges(dir));
        assertTrue(malformed.getMessage().contains("vocab.json") && malformed.getMessage().contains("JSON"),
                malformed.getMessage());

        Files.copy(Gpt2Files.DIR.resolve("vocab.json"), dir.resolve("vocab.json"), StandardCopyOption.REPLACE_EXISTING);
        var noMerges = assertThrows(IllegalArgumentException.class,
                () -> ByteLevelBpeTokenizer.fromVocabAndMerges(dir));
        assertTrue(noMerges.getMessage().contains("merges.txt"), noMerges.getMessage());

        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nĠ t\nĠt h e\n");
        var badLine = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpeTokenizer.fromVocabAndMerges(dir));
        assertTrue(badLine.getMessage().contains("merges.txt") && badLine.getMessage().contains("line 3"),
                badLine.getMessage());

        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nĠ t\nqzx qzy\n");
        var unknown = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpeTokenizer.fromVocabAndMerges(dir));
        assertTrue(unknown.getMessage().contains("vocab.json") && unknown.getMessage().contains("qzx"),
                unknown.getMessage());

        Path json = dir.resolve("tokenizer.json");
        Files.writeString(json, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        var wrongModel = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpeTokenizer.fromDirectory(dir));
        assertTrue(wrongModel.getMessage().contains("tokenizer.json") && wrongModel.getMessage().contains("BPE"),
                wrongModel.getMessage());
        Files.writeString(json, "not json");
        var notJson = assertThrows(IllegalArgumentException.class, () -> ByteLevelBpeTokenizer.fromTokenizerJson(json));
        assertTrue(notJson.getMessage().contains("tokenizer.json"), notJson.getMessage());
    }
}
