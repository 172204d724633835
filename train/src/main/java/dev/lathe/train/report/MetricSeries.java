package dev.lathe.train.report;

/**
 * One metric over a run: the steps that logged it and their values, NaN and ±Infinity included (they are
 * counted, never plotted).
 *
 * @param steps the logging steps, ascending as in the file
 * @param values {@code values[i]} was logged at {@code steps[i]}
 */
record MetricSeries(String name, long[] steps, double[] values) {

    MetricSeries {
        if (steps.length != values.length) throw new IllegalArgumentException("one value per step");
    }

    int finiteCount() {
        int n = 0;
        for (double v : values) if (Double.isFinite(v)) n++;
        return n;
    }

    /** Smallest finite value, NaN when there is none. */
    double min() {
        double m = Double.NaN;
        for (double v : values) if (Double.isFinite(v) && !(v >= m)) m = v;
        return m;
    }

    /** Largest finite value, NaN when there is none. */
    double max() {
        double m = Double.NaN;
        for (double v : values) if (Double.isFinite(v) && !(v <= m)) m = v;
        return m;
    }

    /** The value of the last step that logged this metric, finite or not. */
    double last() {
        return values[values.length - 1];
    }
}
