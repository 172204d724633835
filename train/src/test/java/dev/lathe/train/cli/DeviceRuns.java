package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lathe.core.Tensor;
import dev.lathe.core.backend.Backend;
import dev.lathe.core.backend.Backends;
import dev.lathe.core.backend.EmulatedDeviceBackend;
import dev.lathe.models.io.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Runs CLI commands on the CPU and on a device, and compares what the runs wrote. */
final class DeviceRuns {
    private DeviceRuns() {}

    /**
     * {@code argv} with {@code --device cuda} behind an {@link EmulatedDeviceBackend}; the run must succeed and free
     * every device byte it allocated.
     */
    static TrainFixture.Result onEmulatedDevice(String... argv) {
        var device = new EmulatedDeviceBackend();
        Backend previous = Backends.install(device);
        try {
            TrainFixture.Result r = succeed(with(argv, "--device", "cuda"));
            assertEquals(0, device.liveBytes(), "device bytes left allocated after " + argv[0]);
            return r;
        } finally {
            Backends.install(previous);
        }
    }

    /** {@code argv} with {@code --device DEVICE}; the run must succeed. */
    static TrainFixture.Result on(String device, String... argv) {
        return succeed(with(argv, "--device", device));
    }

    static TrainFixture.Result succeed(String... argv) {
        TrainFixture.Result r = TrainFixture.run(argv);
        assertEquals(0, r.code(), String.join(" ", argv) + "\n" + r.err());
        return r;
    }

    static String[] with(String[] argv, String... extra) {
        List<String> all = new ArrayList<>(List.of(argv));
        all.addAll(List.of(extra));
        return all.toArray(String[]::new);
    }

    /** The run's metrics lines without tokens_per_second (a timing). */
    static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> lines = new ArrayList<>(TrainFixture.metrics(run));
        lines.forEach(m -> ((ObjectNode) m).remove("tokens_per_second"));
        return lines;
    }

    /** Both runs logged the same steps with the same metric names and the same bits in every value. */
    static void assertSameMetrics(Path expected, Path actual) throws IOException {
        assertEquals(metrics(expected).toString(), metrics(actual).toString(), actual + " against " + expected);
    }

    /**
     * Both runs logged the same steps with the same metric names; every value agrees within
     * |got − want| ≤ rel · max(|want|, floor) (counts and step numbers exactly, as they are whole numbers far below
     * 1 / rel), floor being {@code floors}' value for the metric or 1.
     */
    static void assertCloseMetrics(Path expected, Path actual, double rel, Map<String, Double> floors)
            throws IOException {
        List<JsonNode> want = metrics(expected), got = metrics(actual);
        assertEquals(want.size(), got.size(), "steps logged");
        for (int i = 0; i < want.size(); i++) {
            assertEquals(names(want.get(i)), names(got.get(i)), "metric names of line " + i);
            for (Iterator<String> it = want.get(i).fieldNames(); it.hasNext(); ) {
                String name = it.next();
                double w = want.get(i).get(name).asDouble(), g = got.get(i).get(name).asDouble();
                double d = Math.abs(g - w) / Math.max(Math.abs(w), floors.getOrDefault(name, 1.0));
                assertTrue(d <= rel, "step " + (i + 1) + " " + name + ": " + g + " on the device, " + w + " on the cpu");
            }
        }
    }

    private static TreeSet<String> names(JsonNode line) {
        TreeSet<String> names = new TreeSet<>();
        line.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * The safetensors files hold the same tensor names and shapes, and values within
     * |got − want| ≤ rel · max(|want|, 1) (rel 0: the same bits).
     */
    static void assertSameWeights(Path expected, Path actual, double rel) throws IOException {
        try (SafetensorsReader want = SafetensorsReader.open(expected); SafetensorsReader got = SafetensorsReader.open(actual)) {
            assertEquals(new TreeSet<>(want.names()), new TreeSet<>(got.names()), "tensor names of " + actual);
            for (String name : want.names()) {
                try (Tensor w = want.read(name); Tensor g = got.read(name)) {
                    assertArrayEquals(w.shape(), g.shape(), name);
                    float[] a = w.toFloatArray(), b = g.toFloatArray();
                    for (int i = 0; i < a.length; i++) {
                        if (rel == 0) {
                            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]),
                                    () -> name + " differs from the cpu run's");
                            continue;
                        }
                        double d = Math.abs((double) b[i] - a[i]) / Math.max(Math.abs(a[i]), 1);
                        if (d > rel) throw new AssertionError(name + "[" + i + "]: " + b[i] + ", the cpu run's " + a[i]);
                    }
                }
            }
        }
    }
}
