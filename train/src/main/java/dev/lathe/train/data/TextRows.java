package dev.lathe.train.data;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.JsonlFile;
import dev.lathe.train.cli.UsageException;

/** TRL's plain-text convention shared by the data formats: prompt and response tokenized apart, then eos. */
final class TextRows {
    private TextRows() {}

    /** tok(prompt) + tok(response) + [eos]; an empty prompt is an error naming the file and line. */
    static int[] promptResponseEos(JsonlFile.Row row, int[] prompt, String response, ByteLevelBpeTokenizer tok) {
        if (prompt.length == 0) throw new UsageException(row.file() + " line " + row.line() + ": empty \"prompt\"");
        int[] completion = tok.encode(response);
        int[] ids = new int[prompt.length + completion.length + 1];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        ids[ids.length - 1] = tok.eosTokenId();
        return ids;
    }
}
