package dev.lathe.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    private static final String[] SYLLABLES = {"the", "mo", "del", "learn", "s", "to", "sor", "t", "ken", "qui",
        "ck", "ly", "na", "ï", "ve", "Ün", "cöd", "é", "日", "本", "語", "🙂", "don't", "we'll", "4", "2", "3.", "14",
        "hel", "lo", "wor", "ld", "mer", "ge", "pa", "irs", "by", "te", "le", "vel", "x", "q", "z", "ing", "tion"};

    /** A deterministic corpus: sentences over a few hundred pseudo-words with varied punctuation and spacing. */
    private static List<String> corpus(int sentences, long seed) {
        Random rnd = new Random(seed);
        String[] words = new String[400];
        for (int w = 0; w < words.length; w++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) sb.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
            words[w] = sb.toString();
        }
        List<String> texts = new ArrayList<>();
        for (int s = 0; s < sentences; s++) {
            StringBuilder sb = new StringBuilder();
            int n = 3 + rnd.nextInt(10);
            for (int i = 0; i < n; i++) {
                if (i > 0) sb.append(rnd.nextInt(10) == 0 ? "  " : " ");
                sb.append(words[(int) Math.min(words.length - 1, Math.abs(rnd.nextGaussian()) * 100)]);
            }
            sb.append(rnd.nextBoolean() ? ".\n" : "?\t");
            texts.add(sb.toString());
        }
        return texts;
    }

    @Test
    void mostFrequentPairMergesFirstAndTiesGoToTheSmallerStrings() {
        // pieces: "ab", " ab", " ab", " cd", " cd", " xy" — (a,b) occurs 3 times; then (Ġ,ab), (c,d) and (Ġ,cd)
        // twice each, ordered by their strings ('c' < 'Ġ'); (x,y) and (Ġ,xy) once
        ByteLevelBpeTokenizer tok = new BpeTrainer(256 + 6 + 1).train(List.of("ab ab ab cd cd xy"));
        assertEquals(List.of("a b", "c d", "Ġ ab", "Ġ cd", "x y", "Ġ xy"), tok.merges());
        assertEquals(263, tok.vocabSize());
        assertEquals(262, tok.eosTokenId());
        assertArrayEquals(new int[] {tok.tokenToId("ab"), tok.tokenToId("Ġab"), tok.tokenToId("Ġcd")},
                tok.encode("ab ab cd"));
    }

    @Test
    void equalsANaiveRecountingTrainer() {
        List<String> texts = corpus(400, 5);
        ByteLevelBpeTokenizer tok = new BpeTrainer(256 + 120 + 1).train(texts);
        assertEquals(naiveMerges(texts, 120), tok.merges());
    }

    /** Reference: recount every adjacent pair of every word before each merge. */
    private static List<String> naiveMerges(List<String> texts, int count) {
        Map<List<String>, Long> words = new HashMap<>();
        for (String t : texts) {
            for (String piece : Gpt2PreTokenizer.split(t)) {
                List<String> symbols = new ArrayList<>();
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    symbols.add(String.valueOf(ByteUnicode.charOf(b)));
                }
                words.merge(symbols, 1L, Long::sum);
            }
        }
        List<String> merges = new ArrayList<>();
        for (int m = 0; m < count; m++) {
            TreeMap<String, Long> pairs = new TreeMap<>(); // "left right" with ' ' never inside a symbol
            Map<String, String[]> parts = new HashMap<>();
            for (var e : words.entrySet()) {
                List<String> w = e.getKey();
                for (int i = 0; i + 1 < w.size(); i++) {
                    String key = w.get(i) + " " + w.get(i + 1);
                    pairs.merge(key, e.getValue(), Long::sum);
                    parts.put(key, new String[] {w.get(i), w.get(i + 1)});
                }
            }
            String best = null;
            for (var e : pairs.entrySet()) { // highest count; ties: left string first, then right string
                boolean tie = best != null && e.getValue().equals(pairs.get(best));
                if (best == null || e.getValue() > pairs.get(best)
                        || (tie && comparePairs(parts.get(e.getKey()), parts.get(best)) < 0)) {
                    best = e.getKey();
                }
            }
            merges.add(best);
            String[] p = parts.get(best);
            Map<List<String>, Long> next = new HashMap<>();
            for (var e : words.entrySet()) {
                List<String> w = e.getKey(), out = new ArrayList<>();
                for (int i = 0; i < w.size(); i++) {
                    if (i + 1 < w.size() && w.get(i).equals(p[0]) && w.get(i + 1).equals(p[1])) {
                        out.add(p[0] + p[1]);
                        i++;
                    } else {
                        out.add(w.get(i));
                    }
                }
                next.merge(out, e.getValue(), Long::sum);
            }
            words = next;
        }
        return merges;
    }

    private static int comparePairs(String[] x, String[] y) {
        int c = x[0].compareTo(y[0]);
        return c != 0 ? c : x[1].compareTo(y[1]);
    }

    @Test
    void reachesTheSizeRoundTripsAndIsDeterministic(@TempDir Path dir) throws Exception {
        List<String> texts = corpus(3000, 1);
        ByteLevelBpeTokenizer tok = new BpeTrainer(600).train(texts);
        assertEquals(600, tok.vocabSize());
        assertEquals(599, tok.eosTokenId());
        for (int i = 0; i < 256; i++) assertEquals(Gpt2Files.GPT2.idToToken(i), tok.idToToken(i)); // GPT-2's byte ids
        long bytes = 0, tokens = 0;
        for (String t : texts) {
            int[] ids = tok.encode(t);
            assertEquals(t, tok.decode(ids));
            bytes += t.getBytes(StandardCharsets.UTF_8).length;
            tokens += ids.length;
        }
        assertTrue(tokens * 3 < bytes, tokens + " tokens for " + bytes + " bytes");
        for (String unseen : new String[] {"Completely unseen text: Ωμέγα, ✓, \u3000 and 🚀!", "<|endoftext|>x"}) {
            assertEquals(unseen, tok.decode(tok.encode(unseen)));
        }
        List<String> shuffled = new ArrayList<>(texts);
        Collections.shuffle(shuffled, new Random(9));
        assertEquals(tok.merges(), new BpeTrainer(600).train(shuffled).merges()); // counts do not depend on order

        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, String.join("", texts));
        ByteLevelBpeTokenizer fromFile = new BpeTrainer(600).train(file);
        assertEquals(new BpeTrainer(600).train(List.of(String.join("", texts))).merges(), fromFile.merges());

        tok.save(dir.resolve("saved"));
        ByteLevelBpeTokenizer loaded = ByteLevelBpeTokenizer.fromVocabAndMerges(dir.resolve("saved"));
        for (String t : texts.subList(0, 100)) assertArrayEquals(tok.encode(t), loaded.encode(t));
    }

    @Test
    void endOfTextSeparatesDocumentsAndIsNotLearned() {
        ByteLevelBpeTokenizer tok = new BpeTrainer(300).train(List.of("<|endoftext|>".repeat(50) + "abc abc"));
        assertTrue(tok.merges().stream().noneMatch(m -> m.contains("|")), tok.merges().toString());
        // the corpus runs out of pairs: " abc" has three, "abc" adds none new after (a,b), (ab,c)
        assertEquals(List.of("a b", "ab c", "Ġ abc"), tok.merges());
        assertEquals(256 + 3 + 1, tok.vocabSize());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(256));
    }
}
