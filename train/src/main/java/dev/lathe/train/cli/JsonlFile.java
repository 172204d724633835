package dev.lathe.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a JSONL file row by row; every problem is a {@link UsageException} naming the file and {@code line N}
 * (1-based). Each line is decoded as strict UTF-8 on its own. Blank lines are skipped but counted.
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
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            var bytes = new ByteArrayOutputStream();
            while (readLine(in, bytes)) {
                lineNo++;
                String line;
                try {
                    line = utf8.decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
                } catch (CharacterCodingException e) {
                    throw new UsageException(file + " line " + lineNo + ": not valid UTF-8");
                }
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

    /**
     * Reads one line's bytes (without its '\n'; a '\r' before it stays, JSON whitespace) into {@code bytes}, so that
     * each line is decoded on its own and a bad byte is reported on its line; false at the end of the file.
     */
    private static boolean readLine(InputStream in, ByteArrayOutputStream bytes) throws IOException {
        bytes.reset();
        int b = in.read();
        if (b < 0) return false;
        for (; b >= 0 && b != '\n'; b = in.read()) bytes.write(b);
        return true;
    }
}
