package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./lathe sft} on the gpt2-tiny BF16 policy against PyTorch's float64 loss and gradient norm. */
class SftCommandTest {
    @TempDir
    static Path dir;
    static Path model;
    static Path data;
    static JsonNode expected;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        model = TrainFixture.modelDir(dir, "policy");
        data = TrainFixture.dataFile(dir, "sft.jsonl");
        expected = TrainFixture.expected().get("sft");
    }

    private static String[] sft(Path dataFile, String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of("sft", "--model", model.toString(), "--data", dataFile.toString(),
                "--out", dir.resolve(out).toString()));
        argv.addAll(List.of(extra));
        return argv.toArray(String[]::new);
    }

    /** One optimizer step with lr 0 over the whole file; returns its metrics line. */
    private static JsonNode oneStep(String out, String... extra) throws IOException {
        List<String> flags = new ArrayList<>(List.of("--steps", "1", "--lr", "0", "--seed", "7"));
        flags.addAll(List.of(extra));
        TrainFixture.Result r = TrainFixture.run(sft(data, out, flags.toArray(String[]::new)));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = TrainFixture.metrics(dir.resolve(out));
        assertEquals(1, lines.size());
        assertEquals(lines.get(0), TrainFixture.JSON.readTree(r.out().strip()), "stdout echoes metrics.jsonl");
        assertTrue(Files.isRegularFile(dir.resolve(out).resolve("final/model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve(out).resolve("final/vocab.json")));
        return lines.get(0);
    }

    private static void assertMatchesTheReference(JsonNode m, String what) {
        assertEquals(1, m.get("step").asInt());
        double loss = m.get("loss").asDouble(), norm = m.get("grad_norm").asDouble();
        double wantLoss = expected.get("loss").asDouble(), wantNorm = expected.get("grad_norm").asDouble();
        assertTrue(TrainFixture.close(wantLoss, loss, 1e-4), what + ": loss " + loss + ", want " + wantLoss);
        assertTrue(TrainFixture.close(wantNorm, norm, 1e-3), what + ": grad_norm " + norm + ", want " + wantNorm);
        assertEquals(0.0, m.get("learning_rate").asDouble());
        assertTrue(m.get("tokens_per_second").asDouble() > 0);
        assertEquals(1.0, m.get("epoch").asDouble(), 1e-12);
    }

    @Test
    void oneStepOverTheWholeFileMatchesTheReferenceForEveryMicroBatchSplit() throws IOException {
        assertMatchesTheReference(oneStep("b6", "--batch-size", "6"), "6 x 1");
        assertMatchesTheReference(oneStep("b2", "--batch-size", "2", "--grad-accum", "3"), "2 x 3");
        assertMatchesTheReference(oneStep("b3", "--batch-size", "3", "--grad-accum", "2"), "3 x 2");
    }

    @Test
    void dropoutIsOffByDefaultAndTheFlagChangesTheLossReproducibly() throws IOException {
        // The fixture's config leaves *_pdrop at GPT2Config's 0.1; the reference loss was computed without dropout.
        assertMatchesTheReference(oneStep("dropout-default", "--batch-size", "6"), "default");
        assertMatchesTheReference(oneStep("dropout-zero", "--batch-size", "6", "--dropout", "0"), "--dropout 0");
        double first = oneStep("dropout-a", "--batch-size", "6", "--dropout", "0.1").get("loss").asDouble();
        double again = oneStep("dropout-b", "--batch-size", "6", "--dropout", "0.1").get("loss").asDouble();
        double want = expected.get("loss").asDouble();
        assertTrue(Double.isFinite(first) && !TrainFixture.close(want, first, 1e-3), "--dropout 0.1: loss " + first + ", reference " + want);
        assertEquals(first, again, "the same --seed draws the same masks");
    }

    @Test
    void packingKeepsTheLossAndGradientOfTheStep() throws IOException {
        TrainFixture.Result r = TrainFixture.run(sft(data, "packed", "--steps", "1", "--lr", "0", "--batch-size", "6",
                "--packing", "--max-length", "64"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("packed into"), r.err());
        JsonNode m = TrainFixture.metrics(dir.resolve("packed")).get(0);
        double loss = m.get("loss").asDouble(), norm = m.get("grad_norm").asDouble();
        double wantLoss = expected.get("loss").asDouble(), wantNorm = expected.get("grad_norm").asDouble();
        assertTrue(TrainFixture.close(wantLoss, loss, 1e-4), "packed: loss " + loss + ", want " + wantLoss);
        assertTrue(TrainFixture.close(wantNorm, norm, 1e-3), "packed: grad_norm " + norm + ", want " + wantNorm);
    }

    @Test
    void aReportThatCannotBeWrittenIsOnlyAWarning() throws IOException {
        // A folder where the report's temporary file goes: writing it fails at the checkpoint and at the end.
        Files.createDirectories(dir.resolve("blocked/report.html.tmp/in-the-way"));
        TrainFixture.Result r = TrainFixture.run(sft(data, "blocked", "--steps", "1", "--save-steps", "1"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("blocked/final/model.safetensors")));
        assertEquals(2, r.err().lines().filter(l -> l.startsWith("warning: could not write")).count(), r.err());
        assertTrue(Files.notExists(dir.resolve("blocked/report.html")));
    }

    @Test
    void configFileGivesFlagsAndTheCommandLineWins() throws IOException {
        Path config = Files.writeString(dir.resolve("run.json"),
                "{\"batch_size\": 6, \"grad-accum\": 1, \"max_grad_norm\": 0.5, \"save_steps\": 1}");
        // The file's 6 x 1 is overridden to 3 x 2 on the command line; its other values stay.
        JsonNode m = oneStep("config", "--config", config.toString(), "--batch-size", "3", "--grad-accum", "2");
        assertMatchesTheReference(m, "config file");
        assertTrue(Files.isRegularFile(dir.resolve("config/checkpoint-1/model.safetensors")), "save_steps from the file");
        assertTrue(Files.readString(dir.resolve("config/report.html")).contains("<title>lathe sft · config</title>"));
    }

    @Test
    void conversationalRowsTrain() throws IOException {
        Path chat = Files.writeString(dir.resolve("messages.jsonl"), """
                {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello?"}, \
                {"role": "assistant", "content": "Hi there."}]}
                {"prompt": [{"role": "user", "content": "Name a color"}], "completion": [{"role": "assistant", "content": " blue"}]}
                """);
        TrainFixture.Result r = TrainFixture.run(sft(chat, "messages", "--steps", "2", "--lr", "1e-3", "--batch-size", "2"));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = TrainFixture.metrics(dir.resolve("messages"));
        assertEquals(2, lines.size());
        for (JsonNode m : lines) assertTrue(Double.isFinite(m.get("loss").asDouble()) && m.get("loss").asDouble() > 0, m.toString());
        assertTrue(lines.get(1).get("loss").asDouble() < lines.get(0).get("loss").asDouble(), "one lr-1e-3 step lowers the loss");
        assertTrue(Files.isRegularFile(dir.resolve("messages/final/model.safetensors")));
    }

    @Test
    void badRowsNameTheFileLineAndField() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"),
                "{\"prompt\":\"a\",\"completion\":\"b\"}\n\n{\"prompt\":\"a\",\"completion\":3}\n");
        TrainFixture.Result r = TrainFixture.run(sft(bad, "bad", "--steps", "1"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl line 3") && r.err().contains("\"completion\""), r.err());

        Path chat = Files.writeString(dir.resolve("chat.jsonl"), "{\"messages\":[{\"role\":\"tool\",\"content\":\"hi\"}]}\n");
        r = TrainFixture.run(sft(chat, "chat", "--steps", "1"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("chat.jsonl line 1") && r.err().contains("\"messages\"[0].role")
                && r.err().contains("\"tool\""), r.err());

        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"prompt\":\"a\",\"completion\":\"b\"}\n{oops\n");
        r = TrainFixture.run(sft(broken, "broken", "--steps", "1"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("broken.jsonl line 2"), r.err());
        assertTrue(!Files.exists(dir.resolve("broken/final")), "nothing trained");
    }

    @Test
    void badFlagsAreUsageErrors() {
        String[][] cases = {
            {"--steps", "1", "--lr-scheduler-type", "polynomial"},
            {"--steps", "0"},
            {"--steps", "1", "--epochs", "2"},
            {"--steps", "1", "--max-length", "1000"},
            {"--steps", "1", "--dropout", "1"},
            {"--steps", "1", "--packing", "yes"},
            {"--steps", "1", "--batch-size", "0"},
            {"--steps", "1", "--device", "tpu"},
        };
        for (String[] extra : cases) {
            TrainFixture.Result r = TrainFixture.run(sft(data, "flags", extra));
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r.err());
        }
    }
}
