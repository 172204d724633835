package dev.lathe.train.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code RUN/metrics.jsonl} (or {@code eval_metrics.jsonl}): one JSON object per line, flushed as written, echoed
 * to stdout when a stream is given.
 */
final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter file;
    private final PrintStream out;

    /**
     * A new log when {@code keepThrough} is 0 (a fresh run); for a run resumed after step {@code keepThrough},
     * the file's lines of later steps (and any line that is not a JSON object with a step, such as a half-written
     * tail) are dropped, the rest kept and appended to.
     */
    MetricsLog(Path path, PrintStream out, long keepThrough) throws IOException {
        List<String> kept = new ArrayList<>();
        if (keepThrough > 0 && Files.exists(path)) {
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                if (stepOf(line) <= keepThrough && stepOf(line) >= 0) kept.add(line);
            }
        }
        Files.write(path, kept, StandardCharsets.UTF_8);
        this.file = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        this.out = out;
    }

    /** The line's step, or -1 when it is not a JSON object with an integral step. */
    private static long stepOf(String line) {
        try {
            var step = JSON.readTree(line).get("step");
            return step != null && step.canConvertToLong() ? step.asLong() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
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
