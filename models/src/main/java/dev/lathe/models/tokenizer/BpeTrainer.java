package dev.lathe.models.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE tokenizer the way GPT-2's was made: the 256 byte symbols (ids 0..255 in GPT-2's order,
 * so they match GPT-2's first 256 ids), the text split by {@link Gpt2PreTokenizer} into words that merges never
 * cross, then repeatedly the most frequent adjacent pair merged into a new token until the vocabulary has the
 * requested size, {@code <|endoftext|>} taking the last id. Ties go to the pair whose (left, right) strings sort
 * first, so the same corpus always gives the same merges.
 * <p>
 * Counting is incremental: each pair keeps its count and the words it occurs in; a merge rewrites only those
 * words and adjusts the counts of the pairs they gain and lose. Candidates wait in a priority queue and are
 * re-queued when their count changes (stale entries are skipped when popped).
 */
public final class BpeTrainer {
    private final int vocabSize;

    /** @param vocabSize the trained vocabulary's size: 256 bytes + merges + {@code <|endoftext|>}, at least 257 */
    public BpeTrainer(int vocabSize) {
        if (vocabSize < 257) throw new IllegalArgumentException("vocab size must be at least 257, got " + vocabSize);
        this.vocabSize = vocabSize;
    }

    /** Trains on the whole file read as one UTF-8 text. */
    public ByteLevelBpeTokenizer train(Path corpus) {
        try {
            return train(List.of(Files.readString(corpus, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IllegalArgumentException(corpus + ": cannot read the corpus (" + e + ")", e);
        }
    }

    /**
     * Trains on {@code texts}, each its own document ({@code <|endoftext|>} inside a text is a separator, not
     * learned). When the corpus runs out of pairs first, the vocabulary is smaller than asked.
     */
    public ByteLevelBpeTokenizer train(List<String> texts) {
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        int[] byteId = new int[256];
        for (int i = 0; i < 256; i++) {
            int b = ByteUnicode.byteInVocabOrder(i);
            byteId[b] = i;
            tokens.add(String.valueOf(ByteUnicode.charOf(b)));
            ids.put(tokens.get(i), i);
        }
        Corpus corpus = Corpus.of(texts, byteId);
        PairStats stats = new PairStats(corpus, tokens);
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize - 1) {
            Pair best = stats.popMostFrequent();
            if (best == null) break;
            String joined = tokens.get(best.a) + tokens.get(best.b);
            Integer id = ids.get(joined); // two merges can spell the same string: they share its id
            if (id == null) {
                id = tokens.size();
                tokens.add(joined);
                ids.put(joined, id);
            }
            merges.add(new String[] {tokens.get(best.a), tokens.get(best.b)});
            stats.merge(best, id);
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        vocab.put(ByteLevelBpeTokenizer.END_OF_TEXT, tokens.size());
        return new ByteLevelBpeTokenizer(vocab, merges, Map.of(ByteLevelBpeTokenizer.END_OF_TEXT, tokens.size()),
                ByteLevelBpeTokenizer.DEFAULT_CACHE_CAPACITY);
    }

    /** The distinct words of the corpus as symbol ids, with how often each occurs. */
    private record Corpus(int[][] words, long[] counts) {
        static Corpus of(List<String> texts, int[] byteId) {
            SpecialTokens separator = new SpecialTokens(Map.of(ByteLevelBpeTokenizer.END_OF_TEXT, 0));
            Map<String, long[]> counts = new HashMap<>();
            for (String text : texts) {
                int[] search = separator.newSearch();
                for (int pos = 0; pos < text.length(); ) {
                    int t = separator.next(text, pos, search);
                    int end = t < 0 ? text.length() : search[t];
                    for (int i = pos; i < end; ) {
                        int j = Gpt2PreTokenizer.pieceEnd(text, i, end);
                        counts.computeIfAbsent(text.substring(i, j), w -> new long[1])[0]++;
                        i = j;
                    }
                    pos = t < 0 ? text.length() : end + separator.content(t).length();
                }
            }
            List<String> distinct = new ArrayList<>(counts.keySet());
            distinct.sort(null); // a fixed order, so that the training does not depend on hashing
            int[][] words = new int[distinct.size()][];
            long[] n = new long[distinct.size()];
            for (int w = 0; w < words.length; w++) {
                byte[] bytes = distinct.get(w).getBytes(StandardCharsets.UTF_8);
                words[w] = new int[bytes.length];
                for (int i = 0; i < bytes.length; i++) words[w][i] = byteId[bytes[i] & 0xFF];
                n[w] = counts.get(distinct.get(w))[0];
            }
            return new Corpus(words, n);
        }
    }

    /** One adjacent pair of symbols: its count over the corpus and the words it occurs in (maybe stale). */
    private static final class Pair {
        final int a, b;
        long count;
        int[] words = new int[4];
        int wordCount;

        Pair(int a, int b) {
            this.a = a;
            this.b = b;
        }

        void addWord(int w) {
            if (wordCount > 0 && words[wordCount - 1] == w) return;
            if (wordCount == words.length) words = Arrays.copyOf(words, 2 * wordCount);
            words[wordCount++] = w;
        }
    }

    /** A queued candidate: the pair with the count it had when queued. */
    private record Candidate(Pair pair, long count) {}

    private static final class PairStats {
        private final Corpus corpus;
        private final Map<Long, Pair> pairs = new HashMap<>();
        private final PriorityQueue<Candidate> queue;
        private final int[] visited;
        private int mergeStamp;

        PairStats(Corpus corpus, List<String> tokens) {
            this.corpus = corpus;
            this.visited = new int[corpus.words().length];
            Comparator<Candidate> order = Comparator.comparingLong((Candidate c) -> -c.count)
                    .thenComparing(c -> tokens.get(c.pair.a))
                    .thenComparing(c -> tokens.get(c.pair.b));
            queue = new PriorityQueue<>(order);
            int[][] words = corpus.words();
            for (int w = 0; w < words.length; w++) {
                for (int i = 0; i + 1 < words[w].length; i++) {
                    Pair p = pair(words[w][i], words[w][i + 1]);
                    p.count += corpus.counts()[w];
                    p.addWord(w);
                }
            }
            for (Pair p : pairs.values()) queue.add(new Candidate(p, p.count));
        }

        private Pair pair(int a, int b) {
            return pairs.computeIfAbsent(((long) a << 32) | b, k -> new Pair(a, b));
        }

        /** The pair with the highest current count (ties: smallest strings), or null when none is left. */
        Pair popMostFrequent() {
            for (Candidate c; (c = queue.poll()) != null; ) {
                if (c.count == c.pair.count && c.count > 0) return c.pair;
            }
            return null;
        }

        /** Replaces every occurrence of {@code p} (left to right, not overlapping) by {@code id}. */
        void merge(Pair p, int id) {
            mergeStamp++;
            Map<Pair, Long> changed = new HashMap<>();
            int[][] words = corpus.words();
            for (int k = 0; k < p.wordCount; k++) {
                int w = p.words[k];
                if (visited[w] == mergeStamp) continue;
                visited[w] = mergeStamp;
                int[] old = words[w];
                int[] now = mergeInWord(old, p.a, p.b, id);
                if (now == old) continue; // a stale entry: the pair left this word in an earlier merge
                long n = corpus.counts()[w];
                for (int i = 0; i + 1 < old.length; i++) changed.merge(pair(old[i], old[i + 1]), -n, Long::sum);
                for (int i = 0; i + 1 < now.length; i++) {
                    Pair q = pair(now[i], now[i + 1]);
                    changed.merge(q, n, Long::sum);
                    q.addWord(w);
                }
                words[w] = now;
            }
            for (var e : changed.entrySet()) {
                if (e.getValue() == 0) continue;
                Pair q = e.getKey();
                q.count += e.getValue();
                if (q.count > 0) queue.add(new Candidate(q, q.count));
            }
            p.words = new int[0];
            p.wordCount = 0;
        }

        /** {@code word} with each (a, b) replaced by {@code id}, or {@code word} itself when it has none. */
        private static int[] mergeInWord(int[] word, int a, int b, int id) {
            int[] out = null;
            int n = 0;
            for (int i = 0; i < word.length; i++) {
                if (i + 1 < word.length && word[i] == a && word[i + 1] == b) {
                    if (out == null) {
                        out = new int[word.length - 1];
                        System.arraycopy(word, 0, out, 0, i);
                        n = i;
                    }
                    out[n++] = id;
                    i++;
                } else if (out != null) {
                    out[n++] = word[i];
                }
            }
            return out == null ? word : Arrays.copyOf(out, n);
        }
    }
}
