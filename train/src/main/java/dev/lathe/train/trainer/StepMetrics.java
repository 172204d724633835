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

    /** Adds {@code part} to a metric that is the sum of its micro-batch parts. */
    public void sum(String name, double part) {
        merge(name, part, Double::sum);
    }

    public void min(String name, double value) {
        merge(name, value, Math::min);
    }

    public void max(String name, double value) {
        merge(name, value, Math::max);
    }

    private void merge(String name, double value, DoubleBinaryOperator how) {
        values.merge(name, value, (a, b) -> how.applyAsDouble(a, b));
    }

    /** The metrics in the order they were first reported. */
    public Map<String, Double> values() {
        return new LinkedHashMap<>(values);
    }
}
