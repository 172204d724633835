package dev.lathe.train.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pipeline's final table: as text for the terminal, and as {@code summary.json}. */
public final class SummaryTable {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private SummaryTable() {}

    /**
     * {@code summary.json}: a JSON array, one object per model: {@code model}, {@code format_validity},
     * {@code preferred_rate} (fractions in 0..1), {@code reward_mean}, {@code kl_to_sft}, {@code samples}.
     */
    public static void write(Path file, List<ModelSummary> rows) throws IOException {
        List<Map<String, Object>> json = rows.stream().map(r -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("model", r.model());
            o.put("format_validity", r.formatValidity());
            o.put("preferred_rate", r.preferredRate());
            o.put("reward_mean", r.rewardMean());
            o.put("kl_to_sft", r.klToSft());
            o.put("samples", r.samples());
            return o;
        }).toList();
        Files.writeString(file, JSON.writeValueAsString(json) + "\n");
    }

    /** The table's columns as the report shows them. */
    public static final List<String> COLUMNS = List.of("model", "format validity", "preferred rate", "reward mean",
            "KL to SFT", "samples");

    /** Each row's cells as the report shows them. */
    public static List<List<String>> cells(List<ModelSummary> rows) {
        return rows.stream().map(r -> List.of(r.model(), percent(r.formatValidity()), percent(r.preferredRate()),
                String.format("%.3f", r.rewardMean()), String.format("%.3f", shown(r.klToSft())),
                String.join("  |  ", r.samples()))).toList();
    }

    /** The value as printed with 3 decimals, without a "-0.000" for a rounding-level negative estimate. */
    private static double shown(double v) {
        return Math.abs(v) < 5e-4 ? 0 : v;
    }

    private static String percent(double fraction) {
        return String.format("%.1f%%", 100 * fraction);
    }

    /** A fixed-width text table, then the samples of each model. */
    public static String render(List<ModelSummary> rows) {
        var sb = new StringBuilder();
        sb.append(String.format("%-6s %15s %15s %12s %10s%n", "model", "format_validity", "preferred_rate",
                "reward_mean", "kl_to_sft"));
        for (ModelSummary r : rows) {
            sb.append(String.format("%-6s %14.1f%% %14.1f%% %12.3f %10.3f%n", r.model(), 100 * r.formatValidity(),
                    100 * r.preferredRate(), r.rewardMean(), shown(r.klToSft())));
        }
        sb.append('\n');
        for (ModelSummary r : rows) {
            sb.append(String.format("%-6s %s%n", r.model(), String.join("   |   ", r.samples())));
        }
        return sb.toString();
    }
}
