package dev.lathe.kernels;

import static dev.lathe.kernels.Close.assertClose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PPO pieces against ppo.json (PyTorch, float64, TRL's conventions): rewards, GAE, returns, whitening, the
 * clipped losses, clip fractions, approx-KL and the gradients with respect to logprobs and vpred.
 * Tolerance as the fixtures' README: 1e-4 · max(|want|, 0.1) for values.
 */
class PpoFixtureTest {
    private static JsonNode fixture;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = PpoFixtureTest.class.getResourceAsStream("/ppo.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
    }

    private static double[] flat(JsonNode matrix) {
        int rows = matrix.size(), cols = matrix.get(0).isArray() ? matrix.get(0).size() : 1;
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            JsonNode row = matrix.get(r);
            if (row.isArray()) for (int c = 0; c < cols; c++) out[r * cols + c] = row.get(c).asDouble();
            else out[r] = row.asDouble();
        }
        return out;
    }

    private static Tensor input(String name) {
        JsonNode m = fixture.get("inputs").get(name);
        int[] shape = m.get(0).isArray() ? new int[] {m.size(), m.get(0).size()} : new int[] {m.size()};
        return MaskedStats.tensor(flat(m), shape);
    }

    private static double[] expected(String name) {
        return flat(fixture.get("expected").get(name));
    }

    private static double scalar(String name) {
        return fixture.get("expected").get(name).asDouble();
    }

    private static void assertMatches(String name, Tensor got) {
        assertClose(name, expected(name), got.toFloatArray(), 1e-4, 0.1);
    }

    @Test
    void rolloutPiecesMatch() {
        try (var s = Scope.open()) {
            Tensor mask = input("mask");
            Tensor rewards = PpoRewards.perToken(input("logprobs"), input("ref_logprobs"), input("scores"), mask,
                    fixture.get("kl_coef").asDouble(), KlEstimator.K1);
            assertMatches("rewards", rewards);
            var gae = Gae.compute(rewards, input("values"), mask, fixture.get("gamma").asDouble(),
                    fixture.get("lam").asDouble());
            assertMatches("advantages", gae.advantages());
            assertMatches("returns", gae.returns());
            assertMatches("whitened_advantages", MaskedWhiten.whiten(gae.advantages(), mask, true));
        }
    }

    @Test
    void lossesStatisticsAndGradientsMatch() {
        try (var s = Scope.open()) {
            Tensor mask = input("mask");
            // Advantages and returns from the fixture's own expected values, so this test isolates the loss.
            Tensor advantages = MaskedStats.tensor(expected("whitened_advantages"), mask.shape());
            Tensor returns = MaskedStats.tensor(expected("returns"), mask.shape());
            Tensor values = ElementwiseMask.apply(input("values"), mask); // values are 0 at padding
            Tensor logp = input("logprobs").requiresGrad(true), vpred = input("vpred").requiresGrad(true);
            var config = new PpoLoss.Config(fixture.get("cliprange").asDouble(),
                    fixture.get("cliprange_value").asDouble(), fixture.get("vf_coef").asDouble());
            var result = PpoLoss.compute(logp, input("old_logprobs"), advantages, vpred, values, returns, mask, null, config);
            assertClose("pg_loss", scalar("pg_loss"), result.stats().pgLoss(), 1e-4, 0.1);
            assertClose("vf_loss", scalar("vf_loss"), result.stats().vfLoss(), 1e-4, 0.1);
            assertClose("loss", scalar("loss"), result.loss().item(), 1e-4, 0.1);
            assertClose("pg_clipfrac", scalar("pg_clipfrac"), result.stats().pgClipfrac(), 1e-9, 0.1);
            assertClose("vf_clipfrac", scalar("vf_clipfrac"), result.stats().vfClipfrac(), 1e-9, 0.1);
            assertClose("approxkl", scalar("approxkl"), result.stats().approxKl(), 1e-4, 0.1);
            result.loss().backward();
            // Gradients are ~1e-2: compare against their own scale.
            Close.assertCloseToScale("grad_logprobs", expected("grad_logprobs"), logp.grad().toFloatArray(), 1e-4);
            Close.assertCloseToScale("grad_vpred", expected("grad_vpred"), vpred.grad().toFloatArray(), 1e-4);
            logp.zeroGrad();
            vpred.zeroGrad();
        }
    }

    /** values · mask, element-wise. */
    private static final class ElementwiseMask {
        static Tensor apply(Tensor x, Tensor mask) {
            double[] v = MaskedStats.doubles(x), m = MaskedStats.doubles(mask);
            for (int i = 0; i < v.length; i++) v[i] *= m[i];
            return MaskedStats.tensor(v, x.shape());
        }
    }
}
