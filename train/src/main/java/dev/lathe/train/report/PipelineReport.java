package dev.lathe.train.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code OUT/report.html} of a multi-stage run (the pipeline): a results table, then for each stage that has a
 * {@code metrics.jsonl} its curves as in {@link RunReport}. Self-contained like the per-run report.
 */
public final class PipelineReport {
    public static final String FILE = RunReport.FILE;

    private PipelineReport() {}

    /**
     * @param root    the pipeline's folder; stage {@code s} is read from {@code root/s/metrics.jsonl}
     * @param stages  stage folder names, in order
     * @param columns the table's header
     * @param rows    the table's cells, as displayed
     */
    public static void write(Path root, List<String> stages, List<String> columns, List<List<String>> rows)
            throws IOException {
        var html = new StringBuilder(65536);
        String title = "lathe pipeline · " + root.getFileName();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(Markup.escape(title)).append("</title>\n<style>\n").append(RunReport.STYLE)
                .append("h2{font-size:16px;margin:20px 0 8px}\ntd.text{text-align:left;font-family:monospace}\n")
                .append("</style>\n</head>\n<body>\n<h1>").append(Markup.escape(title)).append("</h1>\n<p class=\"run\">")
                .append(Markup.escape(root.toAbsolutePath().toString())).append("</p>\n<table>\n<tr>");
        for (String c : columns) html.append("<th>").append(Markup.escape(c)).append("</th>");
        html.append("</tr>\n");
        for (List<String> row : rows) {
            html.append("<tr>");
            for (String cell : row) {
                boolean number = cell.matches("-?[0-9.]+%?");
                html.append(number ? "<td>" : "<td class=\"text\">").append(Markup.escape(cell)).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
        for (String stage : stages) {
            Path metrics = root.resolve(stage).resolve(RunReport.METRICS);
            if (!Files.isRegularFile(metrics)) continue;
            html.append("<h2>").append(Markup.escape(stage)).append("</h2>\n<div class=\"charts\">\n");
            for (MetricSeries s : RunMetrics.read(metrics).series()) html.append(SvgChart.render(s));
            html.append("</div>\n");
        }
        html.append("</body>\n</html>\n");
        Path tmp = root.resolve(FILE + ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, root.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
