package dev.lathe.train.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Reports drawn from hand-written metrics files: well-formed SVG, one chart per metric, every finite point in view. */
class RunReportTest {
    private static final Pattern SVG = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL);

    @TempDir
    Path dir;

    /**
     * Six steps: loss with a bare NaN, grad_norm with a quoted "Infinity" (as Jackson writes it), a constant
     * learning rate, integral token counts, a metric named to break markup, one logged on two steps only, one
     * never finite, and a text field that is no metric. The last line is half-written.
     */
    private static final String METRICS = """
            {"step":1,"loss":2.5,"grad_norm":1.25,"learning_rate":0.003,"num_tokens":40,"a<b&c":-1.0,"phase":"warm","never":"NaN"}
            {"step":2,"loss":NaN,"grad_norm":"Infinity","learning_rate":0.003,"num_tokens":80,"a<b&c":-0.5,"never":NaN}
            {"step":3,"loss":1.75,"grad_norm":0.875,"learning_rate":0.003,"num_tokens":120,"a<b&c":0.0,"rewards/margins":0.125}

            {"step":4,"loss":1.5,"grad_norm":0.5,"learning_rate":0.003,"num_tokens":160,"a<b&c":0.5}
            {"step":5,"loss":1.0,"grad_norm":0.25,"learning_rate":0.003,"num_tokens":200,"a<b&c":1.0,"rewards/margins":0.5}
            {"step":6,"loss":0.75,"grad_norm":0.125,"learning_rate":0.003,"num_tokens":240,"a<b&
            """;

    /** Per metric, the (step, value) pairs of METRICS' complete lines that are finite. */
    private static Map<String, double[][]> finitePoints() {
        Map<String, double[][]> m = new LinkedHashMap<>();
        m.put("loss", new double[][] {{1, 2.5}, {3, 1.75}, {4, 1.5}, {5, 1.0}});
        m.put("grad_norm", new double[][] {{1, 1.25}, {3, 0.875}, {4, 0.5}, {5, 0.25}});
        m.put("learning_rate", new double[][] {{1, 0.003}, {2, 0.003}, {3, 0.003}, {4, 0.003}, {5, 0.003}});
        m.put("num_tokens", new double[][] {{1, 40}, {2, 80}, {3, 120}, {4, 160}, {5, 200}});
        m.put("a<b&c", new double[][] {{1, -1}, {2, -0.5}, {3, 0}, {4, 0.5}, {5, 1}});
        m.put("never", new double[][] {});
        m.put("rewards/margins", new double[][] {{3, 0.125}, {5, 0.5}});
        return m;
    }

    @Test
    void oneWellFormedChartPerNumericMetricWithEveryFinitePointInView() throws Exception {
        String html = writeAndRead(METRICS);
        List<Document> charts = charts(html);
        Map<String, double[][]> expected = finitePoints();
        List<String> names = new ArrayList<>();
        for (Document chart : charts) names.add(chart.getDocumentElement().getAttribute("aria-label"));
        assertEquals(new ArrayList<>(expected.keySet()), names, "one chart per numeric metric, in file order");

        for (int c = 0; c < charts.size(); c++) {
            Document chart = charts.get(c);
            String name = names.get(c);
            double[][] want = expected.get(name);
            assertTrue(texts(chart).contains(name), name + ": the chart is titled with the metric's name");
            double[][] points = polylinePoints(chart);
            assertEquals(want.length, points.length, name + ": one polyline point per finite value");
            double[] box = viewBox(chart);
            for (double[] p : points) {
                assertTrue(p[0] >= box[0] && p[0] <= box[0] + box[2] && p[1] >= box[1] && p[1] <= box[1] + box[3],
                        name + ": point " + p[0] + "," + p[1] + " outside the viewBox");
            }
            if (want.length >= 2) assertAffine(name, want, points);
        }
    }

    @Test
    void captionsAndTableGiveFiniteMinMaxAndLastValues() throws Exception {
        String html = writeAndRead(METRICS);
        Document loss = charts(html).getFirst();
        assertTrue(texts(loss).contains("min 1 · max 2.5 · last 1 · 1 non-finite skipped"), texts(loss).toString());
        assertTrue(html.contains("<tr><td>grad_norm</td><td>0.25</td><td>0.25</td><td>1.25</td></tr>"), html);
        assertTrue(html.contains("<tr><td>never</td><td>NaN</td><td>NaN</td><td>NaN</td></tr>"), html);
        assertTrue(html.contains("<th>steps logged</th><td colspan=\"3\">5</td>"), "the torn last line is skipped");
        assertTrue(texts(charts(html).get(5)).contains("no finite values"));
    }

    @Test
    void textIsEscapedAndNothingIsFetched() throws Exception {
        String html = writeAndRead(METRICS);
        assertFalse(html.contains("a<b&c"), "raw metric name in the markup");
        assertTrue(html.contains("<td>a&lt;b&amp;c</td>"), html);
        assertTrue(html.contains("<title>lathe sft · run&lt;1&gt;</title>"), html);
        for (String external : new String[] {"<script", "src=", "href=", "@import", "url(", "@font-face"}) {
            assertFalse(html.contains(external), external);
        }
        assertEquals("<>&\"'\uFFFD", parseText(Markup.escape("<>&\"'\u0001")));
    }

    @Test
    void roundTicksCoverTheDataAndAConstantSeriesGetsARange() throws Exception {
        for (Document chart : charts(writeAndRead(METRICS))) {
            String name = chart.getDocumentElement().getAttribute("aria-label");
            double[][] want = finitePoints().get(name);
            if (want.length == 0) continue;
            double[] ticks = yTicks(chart);
            assertTrue(ticks.length >= 2, name);
            double spacing = ticks[1] - ticks[0];
            double mantissa = spacing / Math.pow(10, Math.floor(Math.log10(spacing)));
            assertTrue(Math.abs(mantissa - 1) < 1e-9 || Math.abs(mantissa - 2) < 1e-9
                    || Math.abs(mantissa - 5) < 1e-9, name + ": tick spacing " + spacing);
            for (int i = 1; i < ticks.length; i++) {
                assertEquals(spacing, ticks[i] - ticks[i - 1], spacing * 1e-6, name + ": even ticks");
            }
            for (double[] p : want) {
                assertTrue(p[1] >= ticks[0] && p[1] <= ticks[ticks.length - 1], name + ": " + p[1] + " off the axis");
            }
            if (name.equals("learning_rate")) {
                assertTrue(ticks[0] < 0.003 && ticks[ticks.length - 1] > 0.003, "a constant is drawn mid-range");
            }
        }
    }

    @Test
    void aOneStepRunDrawsADotPerChart() throws Exception {
        String html = writeAndRead("{\"step\":1,\"loss\":3.25,\"learning_rate\":0.0,\"epoch\":0.125}\n");
        List<Document> charts = charts(html);
        assertEquals(3, charts.size());
        for (Document chart : charts) {
            double[][] points = polylinePoints(chart);
            assertEquals(1, points.length);
            assertEquals(1, chart.getElementsByTagName("circle").getLength());
            double[] box = viewBox(chart);
            assertTrue(points[0][0] > box[0] && points[0][0] < box[0] + box[2]);
            assertTrue(points[0][1] > box[1] && points[0][1] < box[1] + box[3]);
        }
    }

    @Test
    void writingReplacesTheReportWithoutLeavingATemporaryFile() throws IOException {
        Path run = dir.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve(RunReport.FILE), "old");
        Files.writeString(run.resolve(RunReport.METRICS), "{\"step\":1,\"loss\":1.0}\n");
        RunReport.write(run, null);
        String html = Files.readString(run.resolve(RunReport.FILE));
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.contains("<title>run</title>"), html);
        assertFalse(Files.exists(run.resolve(RunReport.FILE + ".tmp")));
    }

    private String writeAndRead(String metrics) throws IOException {
        Path run = dir.resolve("run<1>");
        Files.createDirectories(run);
        Files.writeString(run.resolve(RunReport.METRICS), metrics, StandardCharsets.UTF_8);
        RunReport.write(run, "sft");
        return Files.readString(run.resolve(RunReport.FILE), StandardCharsets.UTF_8);
    }

    /** Each {@code <svg>…</svg>} block of the page parsed as a standalone XML document. */
    private static List<Document> charts(String html) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        DocumentBuilder builder = f.newDocumentBuilder();
        List<Document> out = new ArrayList<>();
        Matcher m = SVG.matcher(html);
        while (m.find()) out.add(builder.parse(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8))));
        return out;
    }

    private static String parseText(String escaped) throws Exception {
        String xml = "<t a=\"" + escaped + "\">" + escaped + "</t>";
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertEquals(d.getDocumentElement().getTextContent(), d.getDocumentElement().getAttribute("a"));
        return d.getDocumentElement().getTextContent();
    }

    private static List<String> texts(Document chart) {
        NodeList nodes = chart.getElementsByTagName("text");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) out.add(nodes.item(i).getTextContent());
        return out;
    }

    /** The labels of the y axis (right-aligned numbers), bottom to top. */
    private static double[] yTicks(Document chart) {
        NodeList nodes = chart.getElementsByTagName("text");
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element t = (Element) nodes.item(i);
            if (t.getAttribute("text-anchor").equals("end") && !t.getTextContent().equals("step")) {
                out.add(Double.parseDouble(t.getTextContent()));
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[][] polylinePoints(Document chart) {
        NodeList lines = chart.getElementsByTagName("polyline");
        if (lines.getLength() == 0) return new double[0][];
        assertEquals(1, lines.getLength());
        String[] pairs = ((Element) lines.item(0)).getAttribute("points").trim().split("\\s+");
        double[][] out = new double[pairs.length][];
        for (int i = 0; i < pairs.length; i++) {
            String[] xy = pairs[i].split(",");
            out[i] = new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])};
            assertTrue(Double.isFinite(out[i][0]) && Double.isFinite(out[i][1]), pairs[i]);
        }
        return out;
    }

    private static double[] viewBox(Document chart) {
        String[] parts = chart.getDocumentElement().getAttribute("viewBox").trim().split("\\s+");
        double[] box = new double[4];
        for (int i = 0; i < 4; i++) box[i] = Double.parseDouble(parts[i]);
        return box;
    }

    /**
     * The points are the (step, value) pairs under one map x = a·step + b, y = c·value + d with a > 0 and c < 0
     * (larger values higher up), to the 0.01 the coordinates are printed with.
     */
    private static void assertAffine(String name, double[][] want, double[][] got) {
        double a = (got[want.length - 1][0] - got[0][0]) / (want[want.length - 1][0] - want[0][0]);
        assertTrue(a > 0, name + ": steps run left to right");
        int j = 0;
        for (int i = 1; i < want.length; i++) if (Math.abs(want[i][1] - want[0][1]) > Math.abs(want[j][1] - want[0][1])) j = i;
        double c = j == 0 ? 0 : (got[j][1] - got[0][1]) / (want[j][1] - want[0][1]);
        if (j != 0) assertTrue(c < 0, name + ": larger values are drawn higher");
        for (int i = 0; i < want.length; i++) {
            assertEquals(got[0][0] + a * (want[i][0] - want[0][0]), got[i][0], 0.02, name + " x of point " + i);
            assertEquals(got[0][1] + c * (want[i][1] - want[0][1]), got[i][1], 0.02, name + " y of point " + i);
        }
    }
}
