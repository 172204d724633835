package dev.lathe.train.trainer;

import dev.lathe.train.distributed.World;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A step's metrics combined over the ranks: sums summed, minima and maxima reduced. The names and kinds are rank
 * 0's (broadcast), so ranks that reported a metric in another order, or not at all (an empty shard), still
 * reduce the same arrays; a missing metric counts as the reduction's identity.
 */
final class StepMetricsReduction {
    private StepMetricsReduction() {}

    static StepMetrics reduce(StepMetrics own, World world) {
        StringBuilder spec = new StringBuilder();
        own.kinds().forEach((name, kind) -> spec.append(kind).append('\t').append(name).append('\n'));
        Map<String, StepMetrics.Kind> kinds = new LinkedHashMap<>();
        for (String line : world.broadcast(spec.toString()).split("\n")) {
            if (line.isEmpty()) continue;
            int tab = line.indexOf('\t');
            kinds.put(line.substring(tab + 1), StepMetrics.Kind.valueOf(line.substring(0, tab)));
        }
        Map<String, Double> values = own.values();
        StepMetrics reduced = new StepMetrics();
        for (StepMetrics.Kind kind : StepMetrics.Kind.values()) {
            List<String> names = new ArrayList<>();
            kinds.forEach((name, k) -> {
                if (k == kind) names.add(name);
            });
            if (names.isEmpty()) continue;
            double identity = switch (kind) {
                case SUM -> 0;
                case MIN -> Double.POSITIVE_INFINITY;
                case MAX -> Double.NEGATIVE_INFINITY;
            };
            double[] v = new double[names.size()];
            for (int i = 0; i < v.length; i++) v[i] = values.getOrDefault(names.get(i), identity);
            world.allReduce(v, World.Reduction.valueOf(kind.name()));
            for (int i = 0; i < v.length; i++) values.put(names.get(i), v[i]);
        }
        kinds.forEach((name, kind) -> {
            double v = values.get(name);
            switch (kind) {
                case SUM -> reduced.sum(name, v);
                case MIN -> reduced.min(name, v);
                case MAX -> reduced.max(name, v);
            }
        });
        return reduced;
    }
}
