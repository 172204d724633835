package dev.lathe.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A byte-level BPE tokenizer (GPT-2's, and today's tokenizer.json ones: Qwen's, Llama 3's): added tokens
 * ({@code <|endoftext|>}, {@code <|im_start|>}, ...) are cut out of the text first, whole; the text between them
 * is normalized ({@link TextNormalizer}, e.g. NFC; none for GPT-2) and split by a {@link PreTokenizer}
 * ({@link Gpt2PreTokenizer} for GPT-2, a {@link RegexSplit} for Qwen); each piece's UTF-8 bytes become the 256
 * byte symbols of {@link ByteUnicode}'s alphabet, and {@link BpeMerges} joins them (with {@code ignore_merges},
 * a piece that is itself a token is taken whole first). Ids equal Hugging Face's tokenizers'. The model
 * directory's {@link TokenizerConfig} (EOS, padding, chat template) travels with it.
 * <p>
 * Encoded pieces are cached per word (up to a bound, like Hugging Face's cache: once full, nothing more is
 * added), so repeated words skip BPE. Instances are immutable apart from that concurrent cache: encode and
 * decode may run on many threads at once.
 */
public final class ByteLevelBpeTokenizer {
    /** GPT-2's end-of-text token, its EOS (and BOS and padding in Hugging Face's setup). */
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** Words kept in the encode cache by default (Hugging Face's default too). */
    public static final int DEFAULT_CACHE_CAPACITY = 10_000;

    private final Map<String, Integer> tokenToId;
    private final String[] idToToken;
    private final boolean[] added;
    private final int[] byteIds = new int[256];
    private final BpeMerges merges;
    private final SpecialTokens specials;
    private final Map<String, Integer> addedTokens;
    private final int cacheCapacity;
    private final TextNormalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final TokenizerConfig config;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab token string (in the byte alphabet) to id; must hold all 256 byte symbols
     * @param mergePairs the merges in rank order, each {left, right}; both and their concatenation in vocab
     * @param addedTokens tokens cut out of the text before BPE, content to id (in vocab or not)
     * @param cacheCapacity words the encode cache holds (0: no cache)
     */
    ByteLevelBpeTokenizer(Map<String, Integer> vocab, List<String[]> mergePairs, Map<String, Integer> addedTokens,
            int cacheCapacity) {
        this(vocab, mergePairs, addedTokens, cacheCapacity, null, PreTokenizer.gpt2(), false, TokenizerConfig.NONE);
    }

    /**
     * @param normalizer applied to the text between added tokens, or null for none
     * @param preTokenizer splits the normalized text into the pieces BPE encodes
     * @param ignoreMerges a piece that is a token of {@code vocab} becomes that token without BPE
     * @param config the model directory's EOS, padding and chat template
     */
    ByteLevelBpeTokenizer(Map<String, Integer> vocab, List<String[]> mergePairs, Map<String, Integer> addedTokens,
            int cacheCapacity, TextNormalizer normalizer, PreTokenizer preTokenizer, boolean ignoreMerges,
            TokenizerConfig config) {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        this.config = config;
        Map<String, Integer> all = new HashMap<>(vocab);
        all.putAll(addedTokens);
        int maxId = -1;
        for (var e : all.entrySet()) {
            if (e.getValue() < 0) throw new IllegalArgumentException("negative id for token '" + e.getKey() + "'");
            maxId = Math.max(maxId, e.getValue());
        }
        idToToken = new String[maxId + 1];
        for (var e : all.entrySet()) {
            String other = idToToken[e.getValue()];
            if (other != null && !other.equals(e.getKey())) {
                throw new IllegalArgumentException("id " + e.getValue() + " is given to both '" + other + "' and '"
                        + e.getKey() + "'");
            }
            idToToken[e.getValue()] = e.getKey();
        }
        tokenToId = Collections.unmodifiableMap(all);
        added = new boolean[maxId + 1];
        for (int id : addedTokens.values()) added[id] = true;
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteUnicode.charOf(b)));
            if (id == null) {
                throw new IllegalArgumentException("the vocabulary lacks the symbol of byte " + b + " ('"
                        + ByteUnicode.charOf(b) + "')");
            }
            byteIds[b] = id;
        }
        int n = mergePairs.size();
        int[] left = new int[n], right = new int[n], merged = new int[n];
        for (int r = 0; r < n; r++) {
            String[] p = mergePairs.get(r);
            left[r] = vocabId(vocab, p[0], r);
            right[r] = vocabId(vocab, p[1], r);
            merged[r] = vocabId(vocab, p[0] + p[1], r);
        }
        merges = new BpeMerges(left, right, merged);
        this.addedTokens = Collections.unmodifiableMap(new LinkedHashMap<>(addedTokens));
        specials = new SpecialTokens(this.addedTokens);
        if (cacheCapacity < 0) throw new IllegalArgumentException("cache capacity must be >= 0");
        this.cacheCapacity = cacheCapacity;
    }

    /** {@code from}'s tables (shared: they are immutable) with another cache capacity and config. */
    private ByteLevelBpeTokenizer(ByteLevelBpeTokenizer from, int cacheCapacity, TokenizerConfig config) {
        if (cacheCapacity < 0) throw new IllegalArgumentException("cache capacity must be >= 0");
        tokenToId = from.tokenToId;
        idToToken = from.idToToken;
        added = from.added;
        System.arraycopy(from.byteIds, 0, byteIds, 0, 256);
        merges = from.merges;
        specials = from.specials;
        addedTokens = from.addedTokens;
        normalizer = from.normalizer;
        preTokenizer = from.preTokenizer;
        ignoreMerges = from.ignoreMerges;
        this.cacheCapacity = cacheCapacity;
        this.config = config;
    }

    private static int vocabId(Map<String, Integer> vocab, String token, int rank) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("merge " + rank + " uses '" + token + "', not in the vocabulary");
        }
        return id;
    }

    /**
     * Loads GPT-2's {@code vocab.json} and {@code merges.txt} from {@code dir}, and {@code added_tokens.json} when
     * present; {@code <|endoftext|>} is an added token whenever the vocabulary has it.
     */
    public static ByteLevelBpeTokenizer fromVocabAndMerges(Path dir) {
        return TokenizerFiles.readVocabAndMerges(dir);
    }

    /** Loads a Hugging Face {@code tokenizer.json} (BPE model, ByteLevel pre-tokenizer). */
    public static ByteLevelBpeTokenizer fromTokenizerJson(Path file) {
        return TokenizerFiles.readTokenizerJson(file);
    }

    /**
     * Loads {@code dir/tokenizer.json} when it exists, else {@code dir/vocab.json} + {@code dir/merges.txt}, with
     * the {@link TokenizerConfig} of {@code dir} (tokenizer_config.json, generation_config.json) when it has one.
     */
    public static ByteLevelBpeTokenizer fromDirectory(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a directory");
        Path json = dir.resolve(TokenizerFiles.TOKENIZER_JSON);
        ByteLevelBpeTokenizer tokenizer = Files.exists(json) ? fromTokenizerJson(json) : fromVocabAndMerges(dir);
        return tokenizer.withConfig(TokenizerConfig.read(dir));
    }

    /** The same tokenizer with {@code config}'s EOS, padding and chat template. */
    public ByteLevelBpeTokenizer withConfig(TokenizerConfig config) {
        for (String token : new String[] {config.eosToken(), config.padToken()}) {
            if (token != null && tokenToId(token) < 0) {
                throw new IllegalArgumentException("the special token '" + token + "' is not in the vocabulary");
            }
        }
        return new ByteLevelBpeTokenizer(this, cacheCapacity, config);
    }

    /** The EOS, padding and chat template of the model directory (all unset when it has none). */
    public TokenizerConfig config() {
        return config;
    }

    /**
     * Writes {@code vocab.json} (every token, added ones included) and {@code merges.txt} in GPT-2's format, plus
     * {@code added_tokens.json} when there are added tokens besides {@code <|endoftext|>}; {@code transformers}
     * and {@link #fromVocabAndMerges} load them.
     */
    public void save(Path dir) {
        TokenizerFiles.writeVocabAndMerges(this, dir);
    }

    /** The same tokenizer with an encode cache of {@code capacity} words (0: none). */
    public ByteLevelBpeTokenizer withCacheCapacity(int capacity) {
        return new ByteLevelBpeTokenizer(this, capacity, config);
    }

    /** Token ids of {@code text}, exactly its tokens: no BOS or EOS is added. */
    public int[] encode(String text) {
        return new TokenBuffer(text, false).encode().ids();
    }

    /** Token ids of {@code text} (as {@link #encode}) with the character range each token came from. */
    public Encoding encodeWithOffsets(String text) {
        return new TokenBuffer(text, true).encode();
    }

    /** The tokens of one text as they are produced, with their offsets when asked for. */
    private final class TokenBuffer {
        private final String text;
        private final boolean offsets;
        private int[] ids, starts, ends;
        private int size;

        TokenBuffer(String text, boolean offsets) {
            this.text = text;
            this.offsets = offsets;
            ids = new int[Math.max(16, text.length() / 3)];
            if (offsets) {
                starts = new int[ids.length];
                ends = new int[ids.length];
            }
        }

        Encoding encode() {
            int[] search = specials.newSearch();
            int pos = 0;
            while (pos < text.length()) {
                int t = specials.count() == 0 ? -1 : specials.next(text, pos, search);
                int segmentEnd = t < 0 ? text.length() : search[t];
                if (segmentEnd > pos) segment(pos, segmentEnd);
                if (t < 0) break;
                add(specials.id(t), segmentEnd, segmentEnd + specials.content(t).length());
                pos = segmentEnd + specials.content(t).length();
            }
            return offsets ? new Encoding(Arrays.copyOf(ids, size), Arrays.copyOf(starts, size),
                    Arrays.copyOf(ends, size)) : new Encoding(Arrays.copyOf(ids, size), new int[size], new int[size]);
        }

        /** The text between added tokens: normalized, pre-tokenized, each piece BPE-encoded. */
        private void segment(int from, int to) {
            String segment = text.substring(from, to);
            if (normalizer == null || normalizer.leavesUnchanged(segment)) {
                preTokenizer.split(segment, 0, segment.length(), (s, e) -> piece(segment, s, e, from, null));
                return;
            }
            NormalizedText normalized = NormalizedText.of(segment, normalizer);
            String norm = normalized.text();
            preTokenizer.split(norm, 0, norm.length(), (s, e) -> piece(norm, s, e, from, normalized));
        }

        /** One piece {@code source[s, e)}; offsets map back through {@code normalized} (null: source is the text). */
        private void piece(String source, int s, int e, int base, NormalizedText normalized) {
            int[] word = encodeWord(source.substring(s, e));
            if (!offsets) {
                for (int id : word) add(id, 0, 0);
                return;
            }
            int c = s, byteInChar = 0; // walk the piece's code points alongside the tokens' bytes
            for (int id : word) {
                int start = c, bytes = idToToken[id].length(); // one alphabet symbol per byte
                while (bytes > 0) {
                    int cp = source.codePointAt(c), len = utf8Length(cp);
                    int take = Math.min(bytes, len - byteInChar);
                    bytes -= take;
                    byteInChar += take;
                    if (byteInChar == len) {
                        c += Character.charCount(cp);
                        byteInChar = 0;
                    }
                }
                int end = byteInChar > 0 ? c + Character.charCount(source.codePointAt(c)) : c;
                if (normalized == null) add(id, base + start, base + end);
                else add(id, base + normalized.originalStart(start), base + normalized.originalEnd(end));
            }
        }

        private void add(int id, int start, int end) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, 2 * size);
                if (offsets) {
                    starts = Arrays.copyOf(starts, 2 * size);
                    ends = Arrays.copyOf(ends, 2 * size);
                }
            }
            ids[size] = id;
            if (offsets) {
                starts[size] = start;
                ends[size] = end;
            }
            size++;
        }
    }

    private static int utf8Length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    /** BPE of one pre-tokenized piece; the returned array is shared with the cache and must not be changed. */
    private int[] encodeWord(String word) {
        int[] ids = cache.get(word);
        if (ids != null) return ids;
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int whole = ignoreMerges ? tokenToId(ByteUnicode.encode(bytes)) : -1;
        if (whole >= 0 && !added[whole]) {
            ids = new int[] {whole};
        } else {
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) symbols[i] = byteIds[bytes[i] & 0xFF];
            ids = Arrays.copyOf(symbols, merges.apply(symbols, symbols.length));
        }
        if (cache.size() < cacheCapacity) cache.putIfAbsent(word, ids);
        return ids;
    }

    /**
     * The text of {@code ids}: the bytes of their tokens decoded as UTF-8, every invalid sequence becoming U+FFFD
     * (Python's {@code errors="replace"}). Added tokens decode to their own text.
     */
    public String decode(int[] ids) {
        byte[] bytes = new byte[ids.length * 4];
        int n = 0;
        for (int id : ids) {
            String token = idToToken(id);
            if (n + 4 * token.length() > bytes.length) {
                bytes = Arrays.copyOf(bytes, 2 * bytes.length + 4 * token.length());
            }
            if (added[id]) {
                byte[] raw = token.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(raw, 0, bytes, n, raw.length);
                n += raw.length;
                continue;
            }
            for (int i = 0; i < token.length(); ) {
                int cp = token.codePointAt(i);
                int b = cp <= Character.MAX_VALUE ? ByteUnicode.byteOf((char) cp) : -1;
                if (b >= 0) {
                    bytes[n++] = (byte) b;
                } else { // a character outside the byte alphabet stands for itself
                    byte[] raw = Character.toString(cp).getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(raw, 0, bytes, n, raw.length);
                    n += raw.length;
                }
                i += Character.charCount(cp);
            }
        }
        return Utf8Decoder.decode(bytes, n);
    }

    /** Size of the id space: the largest id plus one (50257 for GPT-2). */
    public int vocabSize() {
        return idToToken.length;
    }

    /**
     * Id of the EOS token: the model directory's ({@code eos_token} of tokenizer_config.json, e.g. Qwen's
     * {@code <|im_end|>}), else {@code <|endoftext|>}; -1 when the vocabulary has neither.
     */
    public int eosTokenId() {
        return tokenToId(config.eosToken() != null ? config.eosToken() : END_OF_TEXT);
    }

    /** Id of the padding token of tokenizer_config.json, else {@link #eosTokenId()} (GPT-2's convention). */
    public int padTokenId() {
        return config.padToken() != null ? tokenToId(config.padToken()) : eosTokenId();
    }

    /** Id of a token string (byte alphabet, or an added token's text), or -1 when it is not in the vocabulary. */
    public int tokenToId(String token) {
        return tokenToId.getOrDefault(token, -1);
    }

    /** The token string of {@code id}; throws IllegalArgumentException for an id outside the vocabulary. */
    public String idToToken(int id) {
        String t = id >= 0 && id < idToToken.length ? idToToken[id] : null;
        if (t == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary");
        return t;
    }

    /** The merges in rank order, each as GPT-2's merges.txt writes it: "left right". */
    public List<String> merges() {
        List<String> lines = new ArrayList<>(merges.size());
        for (int r = 0; r < merges.size(); r++) {
            lines.add(idToToken[merges.left(r)] + " " + idToToken[merges.right(r)]);
        }
        return lines;
    }

    /** The added tokens (cut out before BPE), content to id, in their original order. */
    public Map<String, Integer> addedTokens() {
        return addedTokens;
    }

    /** All tokens by id: the BPE vocabulary and the added tokens. */
    Map<String, Integer> vocab() {
        Map<String, Integer> v = new LinkedHashMap<>();
        for (int id = 0; id < idToToken.length; id++) if (idToToken[id] != null) v.put(idToToken[id], id);
        return v;
    }
}
