package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/**
 * {@code --eval-data} / {@code --eval-fraction}: evaluation on the training file itself at lr 0 must give the
 * training step's loss and metrics (one step over every row), computed through the forward-only path; the
 * lines of eval_metrics.jsonl come at the asked steps.
 */
class EvaluationCommandTest {
    @TempDir
    static Path dir;
    static Path policy;
    static Path rm;
    static Path sftData;
    static Path prefs;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        rm = TrainFixture.modelDir(dir, "rm");
        sftData = TrainFixture.dataFile(dir, "sft.jsonl");
        prefs = TrainFixture.dataFile(dir, "prefs.jsonl");
    }

    private static TrainFixture.Result run(String command, Path model, Path data, String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of(command, "--model", model.toString(), "--data", data.toString(),
                "--out", dir.resolve(out).toString()));
        argv.addAll(List.of(extra));
        TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return r;
    }

    private static List<JsonNode> evalLines(String out) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(out).resolve("eval_metrics.jsonl"))) lines.add(TrainFixture.JSON.readTree(l));
        return lines;
    }

    /** Every eval line (steps 1 and 2 at lr 0) equals step 1's training value of each metric. */
    private static void assertEvalMatchesTraining(String out, String... names) throws IOException {
        JsonNode train = TrainFixture.metrics(dir.resolve(out)).get(0);
        List<JsonNode> eval = evalLines(out);
        assertEquals(List.of(1, 2), eval.stream().map(e -> e.get("step").asInt()).toList());
        for (JsonNode e : eval) {
            for (String name : names) {
                double want = train.get(name).asDouble(), got = e.get("eval_" + name).asDouble();
                assertEquals(want, got, 1e-6 * Math.max(1, Math.abs(want)), out + " eval_" + name);
            }
        }
    }

    @Test
    void sftEvalLossIsTheTokenMeanTheTrainingStepComputes() throws IOException {
        run("sft", policy, sftData, "sft", "--steps", "2", "--lr", "0", "--batch-size", "6", "--save-steps", "1",
                "--eval-data", sftData.toString(), "--eval-batch-size", "4");
        assertEvalMatchesTraining("sft", "loss");
        assertEquals(2, evalLines("sft").get(0).size(), "step and eval_loss");
        assertTrue(Files.readString(dir.resolve("sft/report.html")).contains("eval_loss"), "report draws eval curves");
    }

    /**
     * Evaluation runs the model in eval mode: with --dropout 0.5 and lr 0 the eval loss equals the eval loss of the
     * same run without dropout (bit for bit), while the training loss differs (dropout active there), and the
     * training after an evaluation is back in training mode (step 2's loss also differs from the dropout-free run).
     */
    @Test
    void evaluationSwitchesDropoutOff() throws IOException {
        for (String p : new String[] {"0", "0.5"}) {
            run("sft", policy, sftData, "sft-dropout-" + p, "--steps", "2", "--lr", "0", "--batch-size", "6",
                    "--save-steps", "1", "--eval-data", sftData.toString(), "--dropout", p);
        }
        List<JsonNode> plain = evalLines("sft-dropout-0"), dropped = evalLines("sft-dropout-0.5");
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).get("eval_loss").asDouble(), dropped.get(i).get("eval_loss").asDouble(), 0.0,
                    "eval at step " + plain.get(i).get("step"));
        }
        List<JsonNode> plainTrain = TrainFixture.metrics(dir.resolve("sft-dropout-0"));
        List<JsonNode> droppedTrain = TrainFixture.metrics(dir.resolve("sft-dropout-0.5"));
        for (int step = 0; step < 2; step++) {
            assertFalse(plainTrain.get(step).get("loss").asDouble() == droppedTrain.get(step).get("loss").asDouble(),
                    "training loss at step " + (step + 1) + " runs with dropout");
        }
    }

    @Test
    void dpoEvalMetricsUseTrlNames() throws IOException {
        run("dpo", policy, prefs, "dpo", "--steps", "2", "--lr", "0", "--batch-size", "6", "--save-steps", "1",
                "--eval-data", prefs.toString(), "--eval-batch-size", "2");
        assertEvalMatchesTraining("dpo", "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
                "rewards/margins", "logps/chosen", "logps/rejected");
    }

    @Test
    void rewardEvalMetricsUseTrlNames() throws IOException {
        run("reward", rm, prefs, "reward", "--steps", "2", "--lr", "0", "--batch-size", "6", "--save-steps", "1",
                "--eval-data", prefs.toString(), "--eval-batch-size", "4");
        assertEvalMatchesTraining("reward", "loss", "accuracy", "margin", "mean_reward", "min_reward", "max_reward");
    }

    @Test
    void aHeldOutFractionIsLeftOutOfTraining() throws IOException {
        TrainFixture.Result r = run("sft", policy, sftData, "fraction", "--steps", "4", "--batch-size", "2",
                "--eval-fraction", "0.5", "--eval-steps", "2", "--save-steps", "0");
        assertTrue(r.err().contains("training: 3 examples") && r.err().contains("evaluating on 3 rows"), r.err());
        assertEquals(List.of(2, 4), evalLines("fraction").stream().map(e -> e.get("step").asInt()).toList());
        assertFalse(r.out().contains("eval_loss"), "stdout carries the training lines only");
    }

    @Test
    void badEvalFlagsAreUsageErrors() {
        String[][] cases = {
            {"--eval-data", "x.jsonl", "--eval-fraction", "0.5"},
            {"--eval-fraction", "1"},
            {"--eval-steps", "2"},
            {"--eval-fraction", "0.5", "--eval-batch-size", "0"},
            {"--eval-data", dir.resolve("missing.jsonl").toString()},
        };
        for (String[] extra : cases) {
            List<String> argv = new ArrayList<>(List.of("sft", "--model", policy.toString(), "--data",
                    sftData.toString(), "--out", dir.resolve("bad").toString(), "--steps", "1"));
            argv.addAll(List.of(extra));
            TrainFixture.Result r = TrainFixture.run(argv.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r.err());
        }
    }
}
