package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A NaN in the weights makes the loss NaN: {@code --nan-policy stop} ends the run naming the step, {@code skip} skips. */
class NonFiniteTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path data;

    @BeforeAll
    static void poisonTheFinalLayerNorm() throws IOException {
        model = TrainFixture.modelDir(dir, "policy");
        data = TrainFixture.dataFile(dir, "sft.jsonl");
        Path weights = model.resolve("model.safetensors");
        byte[] poisoned = withNaN(weights, "transformer.ln_f.weight");
        weights.toFile().setWritable(true);
        Files.write(weights, poisoned);
    }

    private static TrainFixture.Result sft(String out, String... extra) {
        var argv = new java.util.ArrayList<>(List.of("sft", "--model", model.toString(), "--data", data.toString(),
                "--out", dir.resolve(out).toString(), "--steps", "3", "--batch-size", "2", "--save-steps", "0",
                "--device", "cpu"));
        argv.addAll(List.of(extra));
        return TrainFixture.run(argv.toArray(String[]::new));
    }

    @Test
    void stopNamesTheStepAndTheLoss() {
        TrainFixture.Result r = sft("stop");
        assertEquals(2, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("lathe sft: step 1: the loss is not finite (loss NaN"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void skipZeroesTheStepAndMarksIt() throws IOException {
        TrainFixture.Result r = sft("skip", "--nan-policy", "skip");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> steps = TrainFixture.metrics(dir.resolve("skip"));
        assertEquals(3, steps.size());
        for (JsonNode s : steps) assertEquals(1, s.get("skipped").asInt(), s.toString());
        assertTrue(r.err().contains("step 3: skipped, the loss is not finite"), r.err());
        // no update happened: the saved weights are the poisoned ones, bit for bit
        assertTrue(Arrays.equals(parameterBytes(model.resolve("model.safetensors"), "transformer.h.0.mlp.c_fc.weight"),
                parameterBytes(dir.resolve("skip/final/model.safetensors"), "transformer.h.0.mlp.c_fc.weight")));
    }

    @Test
    void unknownPolicyIsAUsageError() {
        TrainFixture.Result r = sft("bad-policy", "--nan-policy", "ignore");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--nan-policy must be stop or skip"), r.err());
    }

    /** The weights with the first value of {@code tensor} (BF16) set to NaN. */
    static byte[] withNaN(Path file, String tensor) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int at = dataStart(bytes) + (int) header(bytes).get(tensor).get("data_offsets").get(0).asLong();
        assertEquals("BF16", header(bytes).get(tensor).get("dtype").asText());
        bytes[at] = (byte) 0xC0; // BF16 quiet NaN 0x7FC0, little-endian
        bytes[at + 1] = (byte) 0x7F;
        return bytes;
    }

    /** A tensor's values as F32 little-endian bytes, from a BF16 or F32 file. */
    private static byte[] parameterBytes(Path file, String tensor) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        JsonNode entry = header(bytes).get(tensor);
        int from = dataStart(bytes) + entry.get("data_offsets").get(0).asInt();
        int to = dataStart(bytes) + entry.get("data_offsets").get(1).asInt();
        if (entry.get("dtype").asText().equals("F32")) return Arrays.copyOfRange(bytes, from, to);
        ByteBuffer out = ByteBuffer.allocate((to - from) * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = from; i < to; i += 2) out.putShort((short) 0).put(bytes[i]).put(bytes[i + 1]);
        return out.array();
    }

    private static JsonNode header(byte[] bytes) throws IOException {
        return TrainFixture.JSON.readTree(Arrays.copyOfRange(bytes, 8, dataStart(bytes)));
    }

    private static int dataStart(byte[] bytes) {
        return 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }
}
