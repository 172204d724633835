package dev.lathe.train.cli;

import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code ./lathe tokenize}: the token ids of the {@code "text"} of every JSONL line, with a model directory's
 * tokenizer (tokenizer.json, or vocab.json + merges.txt), exactly the text's tokens: no BOS or EOS.
 */
public final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "token ids of each {\"text\"} line of a JSONL file with a model's tokenizer";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe tokenize --model DIR --data FILE.jsonl
                Loads DIR/tokenizer.json (or DIR/vocab.json + DIR/merges.txt: GPT-2's byte-level BPE) and prints,
                for every line {"text": ...} of FILE.jsonl, one line {"ids":[...]}: the text's tokens, no BOS or
                EOS added. Blank lines are skipped. A count of lines and tokens goes to stderr.""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        String model = args.string("model", null), data = args.string("data", null);
        args.rejectUnknown();
        if (model == null || data == null) throw new UsageException("--model DIR and --data FILE.jsonl are required");
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(Path.of(model));
        long[] tokens = {0};
        int lines = JsonlFile.forEach(Path.of(data), row -> {
            int[] ids = tokenizer.encode(row.string("text"));
            StringBuilder sb = new StringBuilder(16 + 7 * ids.length).append("{\"ids\":[");
            for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ",").append(ids[i]);
            out.println(sb.append("]}"));
            tokens[0] += ids.length;
        });
        err.printf("tokenize: %d lines, %d tokens%n", lines, tokens[0]);
        return 0;
    }
}
