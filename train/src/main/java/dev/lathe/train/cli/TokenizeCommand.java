package dev.lathe.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code ./lathe tokenize}: the token ids of the {@code "text"} of every JSONL line, with a model directory's
 * tokenizer (tokenizer.json, or vocab.json + merges.txt), exactly the text's tokens: no BOS or EOS.
 */
public final class TokenizeCommand implements Command {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

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
        ByteLevelBpeTokenizer tokenizer;
        try {
            tokenizer = ByteLevelBpeTokenizer.fromDirectory(Path.of(model));
        } catch (IllegalArgumentException e) {
            throw new UsageException("cannot load the tokenizer: " + e.getMessage(), e);
        }
        Path file = Path.of(data);
        long lines = 0, tokens = 0;
        int lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = readLine(in, file, lineNo + 1)) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                int[] ids = tokenizer.encode(text(line, file, lineNo));
                StringBuilder sb = new StringBuilder(16 + 7 * ids.length).append("{\"ids\":[");
                for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ",").append(ids[i]);
                out.println(sb.append("]}"));
                lines++;
                tokens += ids.length;
            }
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such file");
        }
        err.printf("tokenize: %d lines, %d tokens%n", lines, tokens);
        return 0;
    }

    private static String readLine(BufferedReader in, Path file, int lineNo) throws IOException {
        try {
            return in.readLine();
        } catch (CharacterCodingException e) {
            throw new UsageException(file + " line " + lineNo + ": not valid UTF-8");
        }
    }

    /** The string field "text" of one JSONL line. */
    private static String text(String line, Path file, int lineNo) {
        JsonNode row;
        try {
            row = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new UsageException(file + " line " + lineNo + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        JsonNode text = row.path("text");
        if (!text.isTextual()) {
            throw new UsageException(file + " line " + lineNo + ": expected an object with a string \"text\", got "
                    + (text.isMissingNode() ? "no \"text\"" : "\"text\": " + text.getNodeType().name().toLowerCase()));
        }
        return text.asText();
    }
}
