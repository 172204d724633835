package dev.lathe.train.report;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numeric metrics of a {@code metrics.jsonl}, in the order they first appear.
 *
 * @param lines steps logged (lines read)
 * @param lastStep the last line's {@code step}, 0 when there are none
 */
record RunMetrics(int lines, long lastStep, List<MetricSeries> series) {
    /** Bare NaN/Infinity are accepted too, besides the quoted "NaN"/"Infinity"/"-Infinity" Jackson writes. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /**
     * Reads every complete JSON object line; a line that is not one (the half-written tail of a killed run) is
     * skipped. A value is numeric when it is a JSON number or one of the quoted non-finite names; other fields
     * are left out. A line without {@code step} counts as step = its 1-based line number.
     */
    static RunMetrics read(Path file) throws IOException {
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        int lines = 0;
        long lastStep = 0;
        for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (text.isBlank()) continue;
            JsonNode line;
            try {
                line = JSON.readTree(text);
            } catch (IOException malformed) {
                continue;
            }
            if (line == null || !line.isObject()) continue;
            lines++;
            JsonNode stepNode = line.get("step");
            long step = stepNode != null && stepNode.isNumber() ? stepNode.asLong() : lines;
            lastStep = step;
            for (Map.Entry<String, JsonNode> field : line.properties()) {
                if (field.getKey().equals("step")) continue;
                Double value = numeric(field.getValue());
                if (value == null) continue;
                points.computeIfAbsent(field.getKey(), k -> new ArrayList<>()).add(new double[] {step, value});
            }
        }
        List<MetricSeries> series = new ArrayList<>();
        points.forEach((name, list) -> {
            long[] steps = new long[list.size()];
            double[] values = new double[list.size()];
            for (int i = 0; i < list.size(); i++) {
                steps[i] = (long) list.get(i)[0];
                values[i] = list.get(i)[1];
            }
            series.add(new MetricSeries(name, steps, values));
        });
        return new RunMetrics(lines, lastStep, series);
    }

    /** These metrics followed by {@code more} series (another file's, such as the evaluation's). */
    RunMetrics with(List<MetricSeries> more) {
        List<MetricSeries> all = new ArrayList<>(series);
        all.addAll(more);
        return new RunMetrics(lines, lastStep, List.copyOf(all));
    }

    private static Double numeric(JsonNode v) {
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) {
            return switch (v.textValue()) {
                case "NaN" -> Double.NaN;
                case "Infinity", "+Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> null;
            };
        }
        return null;
    }
}
