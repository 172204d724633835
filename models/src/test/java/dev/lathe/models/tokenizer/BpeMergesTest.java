package dev.lathe.models.tokenizer;

import static dev.lathe.models.tokenizer.Gpt2Files.GPT2;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The heap-based merge loop against a transcription of GPT-2's reference {@code bpe()} on strings. */
class BpeMergesTest {
    @Test
    void matchesTheReferenceLoopOnGpt2sMerges() {
        Map<String, Integer> ranks = new HashMap<>();
        List<String> merges = GPT2.merges();
        for (int r = 0; r < merges.size(); r++) ranks.put(merges.get(r), r);
        BpeMerges table = mergesOf(GPT2);
        SplittableRandom rnd = new SplittableRandom(3);
        String[] syllables = {"the", "ing", "tion", "re", "a", "e", " ", "st", "er", "an", "ll", "ss", "oo", "é", "日",
            "🙂", "0", "12", "!", "\n", "aaaa", "  "};
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + rnd.nextInt(12);
            for (int i = 0; i < parts; i++) sb.append(syllables[rnd.nextInt(syllables.length)]);
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            List<String> reference = new ArrayList<>();
            for (int i = 0; i < bytes.length; i++) {
                String s = String.valueOf(ByteUnicode.charOf(bytes[i]));
                reference.add(s);
                symbols[i] = GPT2.tokenToId(s);
            }
            referenceBpe(reference, ranks);
            int n = table.apply(symbols, symbols.length);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < n; i++) got.add(GPT2.idToToken(symbols[i]));
            assertEquals(reference, got, sb.toString());
        }
    }

    /** GPT-2's encoder.py bpe(): merge the lowest-ranked bigram everywhere, left to right, until none is left. */
    private static void referenceBpe(List<String> word, Map<String, Integer> ranks) {
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null, second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) return;
            List<String> merged = new ArrayList<>();
            for (int i = 0; i < word.size(); i++) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word.clear();
            word.addAll(merged);
        }
    }

    private static BpeMerges mergesOf(ByteLevelBpeTokenizer tok) {
        List<String> lines = tok.merges();
        int[] l = new int[lines.size()], r = new int[lines.size()], m = new int[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            String[] p = lines.get(i).split(" ");
            l[i] = tok.tokenToId(p[0]);
            r[i] = tok.tokenToId(p[1]);
            m[i] = tok.tokenToId(p[0] + p[1]);
        }
        return new BpeMerges(l, r, m);
    }
}
