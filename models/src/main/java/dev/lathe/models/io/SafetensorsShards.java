package dev.lathe.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face folder, one file or sharded: {@code model.safetensors}, or
 * {@code model.safetensors.index.json} whose {@code weight_map} names the shard of every tensor. Each shard is a
 * memory-mapped {@link SafetensorsReader}; tensors are read straight from the mapping.
 */
public final class SafetensorsShards implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Map<String, SafetensorsReader> byTensor = new LinkedHashMap<>();
    private final Map<String, SafetensorsReader> shards = new LinkedHashMap<>();

    private SafetensorsShards() {}

    /** Opens the folder's weights: the single file if present, else the index and its shards. */
    public static SafetensorsShards open(Path dir) throws IOException {
        SafetensorsShards out = new SafetensorsShards();
        try {
            if (Files.isRegularFile(dir.resolve(SINGLE))) {
                SafetensorsReader r = out.shard(dir, SINGLE);
                for (String name : r.names()) out.byTensor.put(name, r);
            } else if (Files.isRegularFile(dir.resolve(INDEX))) {
                JsonNode map = new ObjectMapper().readTree(Files.readString(dir.resolve(INDEX))).path("weight_map");
                if (!map.isObject()) throw new IllegalArgumentException(dir.resolve(INDEX) + ": no weight_map object");
                for (var e : map.properties()) {
                    SafetensorsReader r = out.shard(dir, e.getValue().asText());
                    if (!r.contains(e.getKey())) {
                        throw new IllegalArgumentException(dir.resolve(INDEX) + ": '" + e.getKey() + "' is not in " + r.file());
                    }
                    out.byTensor.put(e.getKey(), r);
                }
            } else {
                throw new IllegalArgumentException(dir + ": no " + SINGLE + " or " + INDEX);
            }
            return out;
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private SafetensorsReader shard(Path dir, String file) throws IOException {
        if (file.isEmpty() || file.contains("/") || file.contains("\\")) {
            throw new IllegalArgumentException(dir.resolve(INDEX) + ": shard name '" + file + "' is not a file in the folder");
        }
        SafetensorsReader r = shards.get(file);
        if (r == null) {
            r = SafetensorsReader.open(dir.resolve(file));
            shards.put(file, r);
        }
        return r;
    }

    /** Every tensor name, in index (or header) order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        return reader(name).info(name);
    }

    /** {@link SafetensorsReader#readInto} from the tensor's shard. */
    public void readInto(String name, Tensor dst) {
        reader(name).readInto(name, dst);
    }

    /** A description of where the weights come from, for messages. */
    public String source() {
        return shards.values().stream().map(r -> r.file().getFileName().toString()).toList().toString();
    }

    private SafetensorsReader reader(String name) {
        SafetensorsReader r = byTensor.get(name);
        if (r == null) throw new IllegalArgumentException(source() + ": no tensor '" + name + "'");
        return r;
    }

    @Override
    public void close() {
        for (SafetensorsReader r : shards.values()) r.close();
        shards.clear();
    }
}
