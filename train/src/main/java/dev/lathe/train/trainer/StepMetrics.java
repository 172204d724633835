package dev.lathe.train.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;

/**
 * A trainer's own metrics of one optimizer step, gathered over its micro-batches: sums (of parts already divided
 * by the step's normaliser, so they add up to step means), minima and maxima. Names are TRL's.
 */
public final class StepMetrics {
    private final Map<String, Double> values = new LinkedHashMap<>();
    private final Map<String, Kind> kinds = new LinkedHashMap<>();

    /** How a metric combines its parts (and, in data-parallel runs, the ranks' values). */
    public enum Kind { SUM, MIN, MAX }

    /** Adds {@code part} to a metric that is the sum of its micro-batch parts. */
    public void sum(String name, double part) {
        merge(name, part, Kind.SUM);
    }

    public void min(String name, double value) {
        merge(name, value, Kind.MIN);
    }

    public void max(String name, double value) {
        merge(name, value, Kind.MAX);
    }

    private void merge(String name, double value, Kind kind) {
        kinds.put(name, kind);
        DoubleBinaryOperator how = switch (kind) {
            case SUM -> Double::sum;
            case MIN -> Math::min;
            case MAX -> Math::max;
        };
        values.merge(name, value, (a, b) -> how.applyAsDouble(a, b));
    }

    /** Each metric's kind, in the order they were first reported. */
    public Map<String, Kind> kinds() {
        return new LinkedHashMap<>(kinds);
    }

    /** The metrics in the order they were first reported. */
    public Map<String, Double> values() {
        return new LinkedHashMap<>(values);
    }
}
