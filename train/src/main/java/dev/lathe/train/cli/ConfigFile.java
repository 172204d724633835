package dev.lathe.train.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --config run.json}: a JSON object whose keys are flag names without dashes, kebab-case or snake_case
 * ({@code "grad-accum"} or {@code "grad_accum"}), and whose values are strings, numbers or booleans. Flags given
 * on the command line win.
 */
public final class ConfigFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigFile() {}

    /** {@code args} with the values of the file named by {@code --config} (if any) under them. */
    public static Args apply(Args args) throws IOException {
        String name = args.string("config", null);
        if (name == null) return args;
        Path file = Path.of(name);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new UsageException(file + ": no such file");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UsageException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new UsageException(file + ": expected a JSON object of flag values");
        Map<String, String> values = new LinkedHashMap<>();
        for (var e : root.properties()) {
            String flag = e.getKey().replace('_', '-');
            JsonNode v = e.getValue();
            if (!(v.isTextual() || v.isNumber() || v.isBoolean())) {
                throw new UsageException(file + ": \"" + e.getKey() + "\" must be a string, number or boolean");
            }
            if (flag.equals("config")) throw new UsageException(file + ": a config file cannot name another one");
            values.put(flag, v.asText());
        }
        return args.withFallbacks(values);
    }
}
