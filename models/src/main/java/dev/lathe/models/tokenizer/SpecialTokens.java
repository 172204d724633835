package dev.lathe.models.tokenizer;

import java.util.Map;

/**
 * The added tokens ({@code <|endoftext|>} and any others) that are cut out of the text before pre-tokenization
 * and map straight to their ids, as Hugging Face's tokenizers do: at each point the earliest occurrence wins,
 * and the longest token among those starting there. Immutable.
 */
final class SpecialTokens {
    private final String[] contents;
    private final int[] ids;

    SpecialTokens(Map<String, Integer> tokens) {
        contents = new String[tokens.size()];
        ids = new int[tokens.size()];
        int i = 0;
        for (var e : tokens.entrySet()) {
            if (e.getKey().isEmpty()) throw new IllegalArgumentException("an added token is the empty string");
            contents[i] = e.getKey();
            ids[i++] = e.getValue();
        }
    }

    int count() {
        return contents.length;
    }

    String content(int index) {
        return contents[index];
    }

    int id(int index) {
        return ids[index];
    }

    /** Per-text search state: the next known occurrence of each token (-2 = not searched yet, -1 = none). */
    int[] newSearch() {
        int[] next = new int[contents.length];
        java.util.Arrays.fill(next, -2);
        return next;
    }

    /**
     * Index of the token that occurs first in {@code text} at or after {@code from} (longest on a tie), or -1;
     * its position is then {@code search[index]}. Each token's occurrence is searched again only once passed,
     * so a whole text costs one scan per token.
     */
    int next(String text, int from, int[] search) {
        int best = -1;
        for (int t = 0; t < contents.length; t++) {
            if (search[t] == -2 || (search[t] >= 0 && search[t] < from)) search[t] = text.indexOf(contents[t], from);
            if (search[t] < 0) continue;
            if (best < 0 || search[t] < search[best]
                    || (search[t] == search[best] && contents[t].length() > contents[best].length())) {
                best = t;
            }
        }
        return best;
    }
}
