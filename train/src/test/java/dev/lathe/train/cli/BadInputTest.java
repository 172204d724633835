package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every class of bad input through the real CLI: exit code 2, nothing on stdout, one message on stderr naming
 * the file (and {@code line N} and the field, for data), and no run folder left behind.
 */
class BadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        model = TrainFixture.modelDir(dir, "policy");
        data = TrainFixture.dataFile(dir, "sft.jsonl");
    }

    /** Runs sft on {@code modelDir} and {@code dataFile} into a fresh OUT; checks the contract; returns stderr's last line. */
    private static String refused(Path modelDir, Path dataFile, String... extra) {
        Path out = dir.resolve("out-" + System.nanoTime());
        List<String> argv = new ArrayList<>(List.of("sft", "--model", modelDir.toString(), "--data", dataFile.toString(),
                "--out", out.toString(), "--steps", "1", "--save-steps", "0", "--device", "cpu"));
        argv.addAll(List.of(extra));
        TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out());
        assertFalse(Files.exists(out), "a refused run leaves no " + out);
        List<String> lines = r.err().strip().lines().filter(l -> !l.startsWith("[lathe]")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("lathe sft: "), r.err());
        return lines.get(0);
    }

    private static Path dataWith(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static Path dataWith(String name, String content) throws IOException {
        return dataWith(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
    }

    /** A copy of the policy folder with one file replaced (null: removed). */
    private static Path modelWith(String name, String file, byte[] content) throws IOException {
        Path copy = Files.createDirectories(dir.resolve(name));
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        if (content == null) Files.delete(copy.resolve(file));
        else Files.write(copy.resolve(file), content);
        return copy;
    }

    @Test
    void malformedJsonNamesFileAndLine() throws IOException {
        Path bad = dataWith("malformed.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n\n{\"prompt\": \"a\",\n");
        assertContains(refused(model, bad), bad + " line 3: not valid JSON");
    }

    @Test
    void nonUtf8NamesItsOwnLine() throws IOException {
        byte[] good = "{\"prompt\": \"a\", \"completion\": \"b\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[3 * good.length];
        System.arraycopy(good, 0, bytes, 0, good.length);
        System.arraycopy(good, 0, bytes, good.length, good.length);
        System.arraycopy(good, 0, bytes, 2 * good.length, good.length);
        bytes[2 * good.length + 13] = (byte) 0xC3; // a lead byte with no continuation, inside line 3's prompt
        bytes[2 * good.length + 14] = (byte) 0x28;
        assertContains(refused(model, dataWith("latin.jsonl", bytes)), "latin.jsonl line 3: not valid UTF-8");
    }

    @Test
    void missingAndMistypedFieldsNameLineAndField() throws IOException {
        Path missing = dataWith("missing.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": \"a\"}\n");
        assertContains(refused(model, missing), missing + " line 2", "\"completion\"");
        Path mistyped = dataWith("mistyped.jsonl", "{\"prompt\": 7, \"completion\": \"b\"}\n");
        assertContains(refused(model, mistyped), mistyped + " line 1", "\"prompt\"", "number");
    }

    @Test
    void emptyAndMissingDataFiles() throws IOException {
        Path empty = dataWith("empty.jsonl", "\n  \n");
        assertContains(refused(model, empty), empty + ": no rows");
        assertContains(refused(model, dir.resolve("absent.jsonl")), "absent.jsonl: no such file");
    }

    @Test
    void missingModelFiles() throws IOException {
        assertContains(refused(dir.resolve("no-model"), data), "no-model: not a directory");
        assertContains(refused(modelWith("no-config", "config.json", null), data), "no config.json");
        assertContains(refused(modelWith("no-weights", "model.safetensors", null), data), "no model.safetensors");
    }

    @Test
    void truncatedAndCorruptWeights() throws IOException {
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        Path truncated = modelWith("truncated", "model.safetensors", Arrays.copyOf(weights, weights.length / 2));
        assertContains(refused(truncated, data), truncated.resolve("model.safetensors").toString(), "outside the data area");
        byte[] corrupt = weights.clone();
        corrupt[8] = '[';
        Path bad = modelWith("corrupt", "model.safetensors", corrupt);
        assertContains(refused(bad, data), bad.resolve("model.safetensors").toString(), "header");
    }

    @Test
    void configsThatCannotDescribeAModel() throws IOException {
        String config = Files.readString(model.resolve("config.json"));
        Path heads = modelWith("heads", "config.json", config.replace("\"n_head\": 4", "\"n_head\": 5").getBytes(StandardCharsets.UTF_8));
        assertContains(refused(heads, data), heads.resolve("config.json").toString(), "n_embd", "not divisible by n_head 5");
        Path typed = modelWith("typed", "config.json", config.replace("\"n_layer\": 2", "\"n_layer\": \"2\"").getBytes(StandardCharsets.UTF_8));
        assertContains(refused(typed, data), typed.resolve("config.json").toString(), "n_layer", "an integer");
    }

    @Test
    void tokenizerLargerThanTheModelsVocabulary() throws IOException {
        Path extra = modelWith("extra-token", "added_tokens.json", "{\"<|im_start|>\": 50257}".getBytes(StandardCharsets.UTF_8));
        assertContains(refused(extra, data), "extra-token", "ids up to 50257", "vocab_size is 50257");
    }

    @Test
    void unsupportedWeightType() throws IOException {
        Path f64 = modelWith("f64", "model.safetensors", retyped(model.resolve("model.safetensors"), "transformer.ln_f.bias", "F64"));
        assertContains(refused(f64, data), "'transformer.ln_f.bias'", "F64", "F32, F16 or BF16");
    }

    @Test
    void rowsLongerThanMaxLengthRefusedOnRequest() throws IOException {
        String message = refused(model, data, "--max-length", "8", "--sequence-policy", "refuse");
        assertContains(message, data + " line 1: longer than --max-length 8");
        assertContains(refused(model, data, "--sequence-policy", "cut"), "--sequence-policy must be truncate or refuse");
        TrainFixture.Result r = TrainFixture.run("sft", "--model", model.toString(), "--data", data.toString(), "--out",
                dir.resolve("truncated-run").toString(), "--steps", "1", "--save-steps", "0", "--max-length", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("6 truncated to 8 tokens"), r.err());
    }

    /**
     * The safetensors file with one BF16 tensor's dtype renamed to {@code dtype} (8 bytes an element), its last
     * dimension divided by 4 so that dtype × shape still spans the same bytes: a valid file Lathe cannot use.
     */
    private static byte[] retyped(Path file, String tensor, String dtype) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        var header = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(Arrays.copyOfRange(bytes, 8, 8 + n));
        var entry = (com.fasterxml.jackson.databind.node.ObjectNode) header.get(tensor);
        assertEquals("BF16", entry.get("dtype").asText());
        var shape = (com.fasterxml.jackson.databind.node.ArrayNode) entry.get("shape");
        int last = shape.size() - 1;
        shape.set(last, JSON.getNodeFactory().numberNode(shape.get(last).asInt() / 4)); // BF16 → F64: 4× the bytes
        entry.put("dtype", dtype);
        byte[] h = JSON.writeValueAsBytes(header);
        byte[] padded = Arrays.copyOf(h, (h.length + 7) / 8 * 8);
        Arrays.fill(padded, h.length, padded.length, (byte) ' ');
        ByteBuffer out = ByteBuffer.allocate(8 + padded.length + bytes.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded.length).put(padded).put(bytes, 8 + n, bytes.length - 8 - n);
        return out.array();
    }
}
