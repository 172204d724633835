package dev.lathe.train.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code RUN/report.html}: a run's {@code metrics.jsonl} as one self-contained page (inline CSS and SVG, no
 * scripts, no fonts or anything else fetched) with a summary table and one line chart per numeric metric.
 */
public final class RunReport {
    public static final String FILE = "report.html";
    public static final String METRICS = "metrics.jsonl";
    /** Evaluation lines ({@code eval_loss}, …), drawn after the training metrics when the run has them. */
    public static final String EVAL_METRICS = "eval_metrics.jsonl";

    static final String STYLE = """
            body{font-family:sans-serif;margin:24px;color:#111827;background:#fff}
            h1{font-size:20px;margin:0 0 4px}
            p.run{color:#4b5563;margin:0 0 16px;word-break:break-all}
            table{border-collapse:collapse;margin-bottom:24px;font-size:13px}
            th,td{border:1px solid #e5e7eb;padding:3px 10px;text-align:right}
            th:first-child,td:first-child{text-align:left}
            .charts{display:flex;flex-wrap:wrap;gap:12px}
            .charts svg{border:1px solid #e5e7eb;background:#fff;max-width:100%;height:auto}
            """;

    private RunReport() {}

    /**
     * Reads {@code runDir/metrics.jsonl} (and {@code eval_metrics.jsonl}) and writes {@code runDir/report.html} under a temporary name, then
     * renames it over the old report.
     *
     * @param command the command that trained the run (sft, dpo, ...), or null when unknown
     */
    public static void write(Path runDir, String command) throws IOException {
        RunMetrics metrics = RunMetrics.read(runDir.resolve(METRICS));
        Path eval = runDir.resolve(EVAL_METRICS);
        if (Files.exists(eval)) metrics = metrics.with(RunMetrics.read(eval).series());
        String html = render(runDir, command, metrics);
        Path target = runDir.resolve(FILE);
        Path tmp = runDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String render(Path runDir, String command, RunMetrics metrics) {
        String title = (command == null ? "" : "lathe " + command + " · ") + runDir.getFileName();
        var html = new StringBuilder(16384);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(Markup.escape(title)).append("</title>\n<style>\n").append(STYLE).append("</style>\n")
                .append("</head>\n<body>\n<h1>").append(Markup.escape(title)).append("</h1>\n")
                .append("<p class=\"run\">").append(Markup.escape(runDir.toAbsolutePath().toString()))
                .append("</p>\n");
        summary(html, metrics);
        html.append("<div class=\"charts\">\n");
        for (MetricSeries s : metrics.series()) html.append(SvgChart.render(s));
        return html.append("</div>\n</body>\n</html>\n").toString();
    }

    /** Steps logged and the last step, then each metric's last value and finite min/max. */
    private static void summary(StringBuilder html, RunMetrics metrics) {
        html.append("<table>\n<tr><th>steps logged</th><td colspan=\"3\">").append(metrics.lines())
                .append("</td></tr>\n<tr><th>last step</th><td colspan=\"3\">").append(metrics.lastStep())
                .append("</td></tr>\n<tr><th>metric</th><th>last</th><th>min</th><th>max</th></tr>\n");
        for (MetricSeries s : metrics.series()) {
            html.append("<tr><td>").append(Markup.escape(s.name())).append("</td><td>").append(number(s.last()))
                    .append("</td><td>").append(number(s.min())).append("</td><td>").append(number(s.max()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    /** At most 6 significant digits without trailing zeros; scientific below 1e-4 and from 1e15 on. */
    static String number(double v) {
        if (!Double.isFinite(v)) return Double.toString(v);
        if (v == 0) return "0";
        BigDecimal d = new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros();
        double a = Math.abs(v);
        return a >= 1e-4 && a < 1e15 ? d.toPlainString() : d.toString().replace("E+", "e").replace('E', 'e');
    }
}
