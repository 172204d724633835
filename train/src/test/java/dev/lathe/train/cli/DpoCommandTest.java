package dev.lathe.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lathe.core.Tensor;
import dev.lathe.models.gpt2.Gpt2Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code ./lathe dpo} on the gpt2-tiny DPO fixture (BF16 policy, F16 reference) against PyTorch's float64 values
 * for one optimizer step over the whole file, for every loss variant and micro-batch split.
 */
class DpoCommandTest {
    private static final String[] METRICS = {"loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies",
            "rewards/margins", "logps/chosen", "logps/rejected"};

    @TempDir
    static Path dir;
    static Path policy;
    static Path ref;
    static Path data;
    static JsonNode expected;

    @BeforeAll
    static void copyTheFixture() throws IOException {
        policy = TrainFixture.modelDir(dir, "policy");
        ref = TrainFixture.copy("gpt2-tiny/ref", dir.resolve("ref"), "config.json", "model.safetensors");
        data = TrainFixture.dataFile(dir, "prefs.jsonl");
        try (InputStream in = DpoCommandTest.class.getResourceAsStream("/dpo/expected.json")) {
            expected = TrainFixture.JSON.readTree(in).get("dpo");
        }
    }

    /** The fixture's variants as command-line flags. */
    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("sigmoid", new String[] {}),
                Arguments.of("sigmoid_ls0.1", new String[] {"--label-smoothing", "0.1"}),
                Arguments.of("robust_ls0.1", new String[] {"--loss-type", "robust", "--label-smoothing", "0.1"}),
                Arguments.of("hinge", new String[] {"--loss-type", "hinge"}),
                Arguments.of("ipo", new String[] {"--loss-type", "ipo"}),
                Arguments.of("sigmoid_beta0.5", new String[] {"--beta", "0.5"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void oneStepOverTheWholeFileMatchesPyTorch(String variant, String[] flags) throws IOException {
        assertMatches(variant, oneStep("v-" + variant, "6", "1", flags), variant);
    }

    @Test
    void microBatchSplitsAndPrecomputedReferenceGiveTheSameStep() throws IOException {
        assertMatches("sigmoid", oneStep("split-2x3", "2", "3"), "2 x 3");
        assertMatches("sigmoid", oneStep("split-3x2", "3", "2"), "3 x 2");
        assertMatches("sigmoid", oneStep("split-3x2-pre", "3", "2", "--precompute-ref-log-probs"), "3 x 2 precomputed");
    }

    @Test
    void theDefaultReferenceIsTheStartingPolicyAndTheFinalModelReloads() throws IOException {
        TrainFixture.Result r = dpo("frozen", "--batch-size", "6", "--steps", "2", "--lr", "1e-3");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = TrainFixture.metrics(dir.resolve("frozen"));
        assertEquals(2, lines.size());
        JsonNode first = lines.get(0), second = lines.get(1);
        // Before any update policy and reference are the same model: h = 0 for every row, loss = log 2 (up to
        // float rounding, which also makes rewards/accuracies a coin toss here).
        assertClose(Math.log(2), first.get("loss").asDouble(), 1e-5, "step 1 loss");
        // Rewards are β·(π − ref) of two float32 sums of ~200 in magnitude: zero to ~β·200·1e-6.
        for (String m : new String[] {"rewards/chosen", "rewards/rejected", "rewards/margins"}) {
            assertEquals(0, first.get(m).asDouble(), 1e-4, "step 1 " + m);
        }
        assertClose(expected.get("sigmoid").get("logps/chosen").asDouble(), first.get("logps/chosen").asDouble(), 1e-4,
                "step 1 logps/chosen");
        assertTrue(second.get("rewards/margins").asDouble() > 0, "step 2 margins " + second.get("rewards/margins"));
        assertTrue(second.get("loss").asDouble() < Math.log(2), "step 2 loss " + second.get("loss"));
        for (String m : new String[] {"learning_rate", "tokens_per_second", "grad_norm"}) {
            assertTrue(second.get(m).asDouble() > 0, m + " " + second.get(m));
        }

        Path last = dir.resolve("frozen").resolve("final");
        assertTrue(Files.exists(last.resolve("vocab.json")) && Files.exists(last.resolve("merges.txt")));
        try (Gpt2Model start = Gpt2Model.load(policy); Gpt2Model trained = Gpt2Model.load(last)) {
            Map<String, Tensor> before = start.namedParameters(), after = trained.namedParameters();
            assertEquals(before.keySet(), after.keySet());
            String wte = before.keySet().stream().filter(k -> k.endsWith("wte.weight")).findFirst().orElseThrow();
            assertFalse(Arrays.equals(before.get(wte).toFloatArray(), after.get(wte).toFloatArray()),
                    "two steps at lr 1e-3 left wte unchanged");
        }
    }

    @Test
    void referenceFreeRewardsAreBetaTimesThePolicyLogProbs() throws IOException {
        TrainFixture.Result r = dpo("free", "--batch-size", "6", "--steps", "1", "--lr", "0", "--reference-free",
                "--beta", "0.5");
        assertEquals(0, r.code(), r.err());
        JsonNode m = TrainFixture.metrics(dir.resolve("free")).get(0);
        JsonNode want = expected.get("sigmoid_beta0.5");
        double chosen = want.get("logps/chosen").asDouble(), rejected = want.get("logps/rejected").asDouble();
        assertClose(0.5 * chosen, m.get("rewards/chosen").asDouble(), 1e-4, "rewards/chosen");
        assertClose(0.5 * rejected, m.get("rewards/rejected").asDouble(), 1e-4, "rewards/rejected");
        assertClose(chosen, m.get("logps/chosen").asDouble(), 1e-4, "logps/chosen");
    }

    @ParameterizedTest
    @MethodSource("badFlags")
    void badLossFlagsAreUsageErrors(String flag, String value, String message) {
        TrainFixture.Result r = dpo("bad", "--steps", "1", flag, value);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(dir.resolve("bad")), "a rejected run wrote its folder");
    }

    static Stream<Arguments> badFlags() {
        return Stream.of(
                Arguments.of("--loss-type", "kto", "--loss-type must be sigmoid, ipo, hinge or robust, got 'kto'"),
                Arguments.of("--beta", "0", "--beta must be positive"),
                Arguments.of("--label-smoothing", "0.5", "--label-smoothing must be in [0, 0.5)"));
    }

    private static JsonNode oneStep(String out, String batch, String accum, String... flags) throws IOException {
        List<String> argv = new ArrayList<>(List.of("--batch-size", batch, "--grad-accum", accum, "--steps", "1",
                "--lr", "0", "--ref-model", ref.toString()));
        argv.addAll(List.of(flags));
        TrainFixture.Result r = dpo(out, argv.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = TrainFixture.metrics(dir.resolve(out));
        assertEquals(1, lines.size());
        return lines.get(0);
    }

    private static TrainFixture.Result dpo(String out, String... extra) {
        List<String> argv = new ArrayList<>(List.of("dpo", "--model", policy.toString(), "--data", data.toString(),
                "--out", dir.resolve(out).toString()));
        argv.addAll(List.of(extra));
        return TrainFixture.run(argv.toArray(String[]::new));
    }

    private static void assertMatches(String variant, JsonNode got, String what) {
        JsonNode want = expected.get(variant);
        for (String metric : METRICS) {
            assertClose(want.get(metric).asDouble(), got.get(metric).asDouble(), 1e-4, what + " " + variant + " " + metric);
        }
        assertClose(want.get("grad_norm").asDouble(), got.get("grad_norm").asDouble(), 1e-3, what + " " + variant + " grad_norm");
    }

    private static void assertClose(double want, double got, double rel, String what) {
        assertTrue(TrainFixture.close(want, got, rel), what + ": got " + got + ", want " + want);
    }
}
