package dev.lathe.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a JSONL file row by row; every problem is a {@link UsageException} naming the file and {@code line N}
 * (1-based). Blank lines are skipped but counted.
 */
public final class JsonlFile {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One parsed line and where it came from. */
    public record Row(Path file, int line, JsonNode json) {
        /** The string field {@code name}, or a usage error naming the file, line and field. */
        public String string(String name) {
            JsonNode v = json.path(name);
            if (!v.isTextual()) {
                throw new UsageException(file + " line " + line + ": expected an object with a string \"" + name + "\", got "
                        + (v.isMissingNode() ? "no \"" + name + "\"" : "\"" + name + "\": " + v.getNodeType().name().toLowerCase()));
            }
            return v.asText();
        }
    }

    /** Receives each row in order. */
    @FunctionalInterface
    public interface RowHandler {
        void accept(Row row) throws IOException;
    }

    private JsonlFile() {}

    /** Calls {@code handler} for every non-blank line of {@code file}; returns the number of rows. */
    public static int forEach(Path file, RowHandler handler) throws IOException {
        int lineNo = 0, rows = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            while (true) {
                String line;
                try {
                    line = in.readLine();
                } catch (CharacterCodingException e) {
                    throw new UsageException(file + " line " + (lineNo + 1) + ": not valid UTF-8");
                }
                if (line == null) break;
                lineNo++;
                if (line.isBlank()) continue;
                JsonNode json;
                try {
                    json = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new UsageException(file + " line " + lineNo + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                handler.accept(new Row(file, lineNo, json));
                rows++;
            }
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such file");
        }
        return rows;
    }
}
