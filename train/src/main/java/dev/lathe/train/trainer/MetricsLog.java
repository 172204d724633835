package dev.lathe.train.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** {@code RUN/metrics.jsonl}: one JSON object per optimizer step, flushed as written, echoed to stdout. */
final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter file;
    private final PrintStream out;

    MetricsLog(Path path, PrintStream out) throws IOException {
        this.file = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
        this.out = out;
    }

    /** Integral values (Long, Integer) are written as JSON integers, the rest as doubles. */
    void write(long step, Map<String, Number> metrics) throws IOException {
        ObjectNode line = JSON.createObjectNode().put("step", step);
        metrics.forEach((name, v) -> {
            if (v instanceof Long || v instanceof Integer) line.put(name, v.longValue());
            else line.put(name, v.doubleValue());
        });
        String text = JSON.writeValueAsString(line);
        file.write(text);
        file.newLine();
        file.flush();
        if (out != null) out.println(text);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
