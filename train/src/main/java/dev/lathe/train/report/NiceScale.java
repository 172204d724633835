package dev.lathe.train.report;

import java.util.Locale;

/**
 * An axis range widened to round tick values (1, 2 or 5 × 10^k apart; Heckbert, "Nice numbers for graph
 * labels", Graphics Gems 1990), with labels that show just enough digits to tell the ticks apart.
 *
 * @param lo first tick, at or below the data's minimum
 * @param hi last tick, at or above the data's maximum
 * @param spacing distance between ticks (> 0)
 */
record NiceScale(double lo, double hi, double spacing) {
    private static final int TARGET_TICKS = 5;

    /**
     * A scale covering the finite {@code [min, max]}. A single value gets a range around it (±1 for 0, else
     * ±half its magnitude); with {@code integral} (steps) the spacing is a whole number.
     */
    static NiceScale covering(double min, double max, boolean integral) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || min > max) {
            throw new IllegalArgumentException("a scale needs finite min <= max, got " + min + ", " + max);
        }
        if (min == max) {
            double pad = integral ? 1 : (min == 0 ? 1 : Math.abs(min) / 2);
            min -= pad;
            max += pad;
        }
        double spacing = nice((max - min) / (TARGET_TICKS - 1));
        if (integral) spacing = Math.max(1, Math.round(spacing));
        double lo = Math.floor(min / spacing) * spacing, hi = Math.ceil(max / spacing) * spacing;
        if (!(spacing > 0) || !Double.isFinite(lo) || !Double.isFinite(hi) || (hi - lo) / spacing > 100) {
            // Beyond double's reach (ranges near ±1e308, subnormal spans): the bare range, ends as ticks.
            return new NiceScale(min, max, max - min > 0 && Double.isFinite(max - min) ? max - min : 1);
        }
        return new NiceScale(lo, hi, spacing);
    }

    /** The ticks from lo to hi, each computed from lo (no accumulated rounding), −0 printed as 0. */
    double[] ticks() {
        int n = (int) Math.round((hi - lo) / spacing) + 1;
        if (n < 2 || n > 101) return new double[] {lo, hi};
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            double v = i == n - 1 ? hi : lo + i * spacing;
            t[i] = Math.abs(v) < spacing * 1e-9 ? 0 : v;
        }
        return t;
    }

    /** A tick label: fixed-point with the spacing's decimals, or scientific for very large or small values. */
    String label(double tick) {
        if (tick == 0) return "0";
        double magnitude = Math.max(Math.abs(lo), Math.abs(hi));
        int spacingExp = (int) Math.floor(Math.log10(spacing));
        if (magnitude >= 1e6 || spacingExp < -4) {
            int digits = Math.clamp((long) Math.floor(Math.log10(Math.abs(tick))) - spacingExp, 0, 6);
            return String.format(Locale.ROOT, "%." + digits + "e", tick);
        }
        return String.format(Locale.ROOT, "%." + Math.max(0, -spacingExp) + "f", tick);
    }

    /** The 1, 2, 5 or 10 × 10^k nearest to {@code x} (> 0). */
    private static double nice(double x) {
        if (!(x > 0) || !Double.isFinite(x)) return x;
        double exp = Math.floor(Math.log10(x));
        double f = x / Math.pow(10, exp);
        double niceF = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
        return niceF * Math.pow(10, exp);
    }
}
