package dev.lathe.train.trainer;

import dev.lathe.core.Tensor;
import dev.lathe.core.optim.AdamW;
import dev.lathe.models.io.SafetensorsReader;
import dev.lathe.models.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW's moments in {@code CHECKPOINT/optimizer.safetensors}, F32, by parameter name: {@code NAME.exp_avg} and
 * {@code NAME.exp_avg_sq} (torch's names). Parameters not yet updated have none. The step count goes into
 * {@link TrainerState}.
 */
public final class OptimizerState {
    public static final String FILE = "optimizer.safetensors";
    private static final String EXP_AVG = ".exp_avg";
    private static final String EXP_AVG_SQ = ".exp_avg_sq";

    private OptimizerState() {}

    public static void write(Path dir, AdamW optimizer, Map<String, Tensor> named) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        named.forEach((name, p) -> {
            AdamW.Moments m = optimizer.moments(p);
            if (m == null) return;
            tensors.put(name + EXP_AVG, m.expAvg());
            tensors.put(name + EXP_AVG_SQ, m.expAvgSq());
        });
        SafetensorsWriter.write(dir.resolve(FILE), tensors);
    }

    /** Loads the moments of every parameter that has them and sets the step count. */
    public static void read(Path dir, AdamW optimizer, Map<String, Tensor> named, long stepCount) throws IOException {
        Path file = dir.resolve(FILE);
        Map<Tensor, float[][]> moments = new IdentityHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String key : reader.names()) {
                if (!key.endsWith(EXP_AVG)) continue;
                String name = key.substring(0, key.length() - EXP_AVG.length());
                Tensor p = named.get(name);
                if (p == null) throw new IOException(file + ": moments of \"" + name + "\", which the model does not have");
                moments.put(p, new float[][] {read(reader, key, p), read(reader, name + EXP_AVG_SQ, p)});
            }
        }
        optimizer.restore(stepCount, moments);
    }

    private static float[] read(SafetensorsReader reader, String key, Tensor p) throws IOException {
        if (!reader.contains(key)) throw new IOException(reader.file() + ": no \"" + key + "\"");
        try (Tensor t = reader.read(key)) {
            if (!Arrays.equals(t.shape(), p.shape())) {
                throw new IOException(reader.file() + ": \"" + key + "\" has shape " + Arrays.toString(t.shape())
                        + ", the parameter " + Arrays.toString(p.shape()));
            }
            return t.toFloatArray();
        }
    }
}
