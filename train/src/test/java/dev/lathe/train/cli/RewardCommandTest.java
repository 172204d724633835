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

/** {@code ./lathe reward} on the gpt2-tiny F32 reward model against PyTorch's float64 values. */
class RewardCommandTest {
    @TempDir
    static Path dir;
    static Path rm;
    static Path data;
    static JsonNode expected;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        rm = TrainFixture.modelDir(dir, "rm");
        data = TrainFixture.dataFile(dir, "prefs.jsonl");
        expected = TrainFixture.expected().get("reward");
    }

    private static TrainFixture.Result reward(Path model, Path dataFile, String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of("reward", "--model", model.toString(), "--data",
                dataFile.toString(), "--out", dir.resolve(out).toString()));
        argv.addAll(List.of(extra));
        return TrainFixture.run(argv.toArray(String[]::new));
    }

    private static JsonNode oneStep(String out, String batch, String accum) throws IOException {
        TrainFixture.Result r = reward(rm, data, out, "--steps", "1", "--lr", "0", "--batch-size", batch,
                "--grad-accum", accum);
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = TrainFixture.metrics(dir.resolve(out));
        assertEquals(1, lines.size());
        return lines.get(0);
    }

    @Test
    void oneStepOverTheWholeFileMatchesTheReferenceForEveryMicroBatchSplit() throws IOException {
        double[] chosen = doubles(expected.get("chosen")), rejected = doubles(expected.get("rejected"));
        double margin = 0, mean = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < chosen.length; i++) {
            margin += (chosen[i] - rejected[i]) / chosen.length;
            mean += (chosen[i] + rejected[i]) / (2 * chosen.length);
            min = Math.min(min, Math.min(chosen[i], rejected[i]));
            max = Math.max(max, Math.max(chosen[i], rejected[i]));
        }
        for (String[] split : new String[][] {{"6", "1"}, {"2", "3"}, {"3", "2"}}) {
            String what = split[0] + " x " + split[1];
            JsonNode m = oneStep("b" + split[0], split[0], split[1]);
            assertClose(expected.get("loss").asDouble(), m.get("loss").asDouble(), 1e-4, what + " loss");
            assertClose(expected.get("grad_norm").asDouble(), m.get("grad_norm").asDouble(), 1e-3, what + " grad_norm");
            assertEquals(expected.get("accuracy").asDouble(), m.get("accuracy").asDouble(), 1e-12, what + " accuracy");
            assertClose(margin, m.get("margin").asDouble(), 1e-4, what + " margin");
            assertClose(mean, m.get("mean_reward").asDouble(), 1e-4, what + " mean_reward");
            assertClose(min, m.get("min_reward").asDouble(), 1e-4, what + " min_reward");
            assertClose(max, m.get("max_reward").asDouble(), 1e-4, what + " max_reward");
        }
    }

    @Test
    void aLanguageModelGetsAFreshScoreHeadAndTrains() throws IOException {
        Path lm = TrainFixture.modelDir(dir, "policy");
        TrainFixture.Result r = reward(lm, data, "from-lm", "--steps", "2", "--batch-size", "3", "--lr", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("new score head"), r.err());
        assertEquals(2, TrainFixture.metrics(dir.resolve("from-lm")).size());
        JsonNode config = TrainFixture.JSON.readTree(dir.resolve("from-lm/final/config.json").toFile());
        assertEquals("GPT2ForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(1, config.get("num_labels").asInt());
    }

    @Test
    void badRowsNameTheFileLineAndField() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"),
                "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{\"prompt\":\"a\",\"chosen\":\"b\"}\n");
        TrainFixture.Result r = reward(rm, bad, "bad", "--steps", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl line 2") && r.err().contains("\"rejected\""), r.err());
    }

    private static void assertClose(double want, double got, double rel, String what) {
        assertTrue(TrainFixture.close(want, got, rel), what + ": got " + got + ", want " + want);
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asDouble();
        return out;
    }
}
