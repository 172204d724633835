package dev.lathe.train.report;

import java.util.Arrays;
import java.util.Locale;

/**
 * One metric as an inline SVG line chart, x = step: axes with round ticks and grid lines, the metric's name,
 * its finite min/max/last in the caption, one polyline through the finite values (NaN and ±Infinity are skipped
 * and counted in the caption) and a dot where there is a single point. Standalone XML (it carries its xmlns).
 */
final class SvgChart {
    static final int WIDTH = 640;
    static final int HEIGHT = 260;
    /** The plot area inside the viewBox. */
    private static final int LEFT = 72, RIGHT = WIDTH - 16, TOP = 44, BOTTOM = HEIGHT - 36;

    /** Presentation attributes rather than a stylesheet, so a chart looks the same cut out of the page. */
    private static final String FONT = "font-family=\"sans-serif\" fill=\"#374151\" ";
    private static final String TITLE = FONT + "font-size=\"14\" font-weight=\"bold\"";
    private static final String CAPTION = FONT + "font-size=\"11\"";
    private static final String END = FONT + "font-size=\"11\" text-anchor=\"end\"";
    private static final String MIDDLE = FONT + "font-size=\"11\" text-anchor=\"middle\"";
    private static final String GRID = "stroke=\"#e5e7eb\" stroke-width=\"1\"";
    private static final String AXIS = "stroke=\"#374151\" stroke-width=\"1\"";

    private SvgChart() {}

    static String render(MetricSeries series) {
        var svg = new StringBuilder(4096);
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
                        + " role=\"img\" aria-label=\"%s\">\n",
                WIDTH, HEIGHT, WIDTH, HEIGHT, Markup.escape(series.name())));
        text(svg, LEFT, 18, TITLE, series.name());
        text(svg, LEFT, 34, CAPTION, caption(series));
        int finite = series.finiteCount();
        if (finite == 0) {
            text(svg, (LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0, MIDDLE, "no finite values");
            return svg.append("</svg>\n").toString();
        }
        long[] steps = series.steps();
        NiceScale xs = NiceScale.covering(Arrays.stream(steps).min().orElseThrow(),
                Arrays.stream(steps).max().orElseThrow(), true);
        NiceScale ys = NiceScale.covering(series.min(), series.max(), false);
        axes(svg, xs, ys);

        var points = new StringBuilder();
        double lastX = 0, lastY = 0;
        for (int i = 0; i < steps.length; i++) {
            double v = series.values()[i];
            if (!Double.isFinite(v)) continue;
            lastX = x(xs, steps[i]);
            lastY = y(ys, v);
            if (!points.isEmpty()) points.append(' ');
            points.append(coord(lastX)).append(',').append(coord(lastY));
        }
        svg.append("<polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.5\" stroke-linejoin=\"round\""
                + " points=\"").append(points).append("\"/>\n");
        if (finite == 1) {
            svg.append("<circle fill=\"#2563eb\" cx=\"").append(coord(lastX)).append("\" cy=\"").append(coord(lastY))
                    .append("\" r=\"3\"/>\n");
        }
        return svg.append("</svg>\n").toString();
    }

    /** "min … · max … · last …", plus how many values were not finite. */
    private static String caption(MetricSeries s) {
        String c = "min " + RunReport.number(s.min()) + " · max " + RunReport.number(s.max())
                + " · last " + RunReport.number(s.last());
        int skipped = s.values().length - s.finiteCount();
        return skipped == 0 ? c : c + " · " + skipped + " non-finite skipped";
    }

    private static void axes(StringBuilder svg, NiceScale xs, NiceScale ys) {
        for (double t : ys.ticks()) {
            double y = y(ys, t);
            line(svg, GRID, LEFT, y, RIGHT, y);
            text(svg, LEFT - 6, y + 4, END, ys.label(t));
        }
        for (double t : xs.ticks()) {
            double x = x(xs, t);
            line(svg, AXIS, x, BOTTOM, x, BOTTOM + 5);
            text(svg, x, BOTTOM + 18, MIDDLE, xs.label(t));
        }
        line(svg, AXIS, LEFT, TOP, LEFT, BOTTOM);
        line(svg, AXIS, LEFT, BOTTOM, RIGHT, BOTTOM);
        text(svg, RIGHT, HEIGHT - 4, END, "step");
    }

    private static double x(NiceScale s, double step) {
        return LEFT + (step - s.lo()) / (s.hi() - s.lo()) * (RIGHT - LEFT);
    }

    private static double y(NiceScale s, double v) {
        return BOTTOM - (v - s.lo()) / (s.hi() - s.lo()) * (BOTTOM - TOP);
    }

    private static void line(StringBuilder svg, String style, double x1, double y1, double x2, double y2) {
        svg.append("<line ").append(style).append(" x1=\"").append(coord(x1)).append("\" y1=\"")
                .append(coord(y1)).append("\" x2=\"").append(coord(x2)).append("\" y2=\"").append(coord(y2))
                .append("\"/>\n");
    }

    private static void text(StringBuilder svg, double x, double y, String style, String content) {
        svg.append("<text ").append(style).append(" x=\"").append(coord(x)).append("\" y=\"")
                .append(coord(y)).append("\">").append(Markup.escape(content)).append("</text>\n");
    }

    private static String coord(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
