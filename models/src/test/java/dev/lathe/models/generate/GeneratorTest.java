package dev.lathe.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.core.Scope;
import dev.lathe.core.Tensor;
import dev.lathe.core.autograd.GradMode;
import dev.lathe.models.Fixtures;
import dev.lathe.models.Padding;
import dev.lathe.models.Padding.Side;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.io.Gpt2Config;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batched generation: the KV-cache path against full recomputation, rows against themselves alone, the first
 * token against the plain forward's logits, and EOS stopping and padding. Two models: the gpt2-tiny policy
 * (GPT-2's vocabulary; its distributions are sharp, so it mostly repeats one token) and a small random GPT-2
 * whose wide initialisation gives spread-out distributions, so sampling visits many tokens. Both pad with eos.
 */
class GeneratorTest {
    private static final double TOL = 1e-4;
    private static final List<SamplingConfig> SAMPLINGS = List.of(
            SamplingConfig.greedy(),
            SamplingConfig.sampling(1.2f, 11),
            new SamplingConfig(0.9f, 40, 0.9f, 7),
            new SamplingConfig(1f, 0, 0.8f, 3));

    private static Gpt2Model policy, spread;

    @BeforeAll
    static void load() throws IOException {
        policy = Gpt2Model.load(Fixtures.gpt2Tiny("policy"));
        // vocab 96 (eos = pad = 95), 64 positions, n_embd 32, 2 layers, 4 heads, weights N(0, 0.3²): logits of std ~1.7.
        var config = new Gpt2Config(96, 64, 64, 32, 2, 4, null, "gelu_new", 1e-5, 0.3, true, 95, 95, null, "gpt2",
                List.of("GPT2LMHeadModel"), "float32", null, Map.of());
        spread = Gpt2Model.random(config, new Random(1));
    }

    @AfterAll
    static void close() {
        policy.close();
        spread.close();
    }

    private static List<Gpt2Model> models() {
        return List.of(policy, spread);
    }

    /** GPT-2 pads with its eos. */
    private static int eos(Gpt2Model model) {
        return model.config().eosTokenId();
    }

    @Test
    void cacheChoosesTheSameTokensAsRecomputation() {
        for (Gpt2Model model : models()) {
            int eos = eos(model);
            int[][] prompts = prompts(model, 21, 7, 3, 12, 1);
            for (Side side : Side.values()) {
                for (SamplingConfig sampling : SAMPLINGS) {
                    GenerationConfig cfg = GenerationConfig.of(sampling, 10, eos, eos).withPaddingSide(side);
                    Generation cached = Generator.generate(model, prompts, cfg);
                    Generation full = Generator.generate(model, prompts, cfg.withCache(false));
                    String what = "vocab " + model.config().vocabSize() + " " + side + " " + sampling;
                    assertEquals(full.steps(), cached.steps(), what);
                    assertArrayEquals(full.lengths(), cached.lengths(), what);
                    for (int b = 0; b < prompts.length; b++) {
                        assertArrayEquals(full.completions()[b], cached.completions()[b], what + " row " + b);
                        assertArrayEquals(full.mask()[b], cached.mask()[b], what + " row " + b);
                        assertClose(full.logProbs()[b], cached.logProbs()[b], TOL, what + " row " + b);
                        assertClose(full.processedLogProbs()[b], cached.processedLogProbs()[b], TOL, what + " row " + b);
                    }
                }
            }
        }
    }

    @Test
    void seededSamplingIsReproducibleAndTheSeedMatters() {
        int[][] prompts = prompts(spread, 22, 6, 9);
        int eos = eos(spread);
        GenerationConfig cfg = GenerationConfig.of(SamplingConfig.sampling(1f, 99), 12, -1, eos);
        Generation first = Generator.generate(spread, prompts, cfg);
        Generation again = Generator.generate(spread, prompts, cfg);
        Generation other = Generator.generate(spread, prompts, GenerationConfig.of(SamplingConfig.sampling(1f, 100), 12, -1, eos));
        assertTrue(Arrays.deepEquals(first.completions(), again.completions()));
        assertTrue(Arrays.deepEquals(first.logProbs(), again.logProbs()));
        assertTrue(!Arrays.deepEquals(first.completions(), other.completions()), "another seed gave the same 24 tokens");
    }

    @Test
    void aRowDoesNotDependOnTheRestOfTheBatch() {
        for (Gpt2Model model : models()) {
            int[][] prompts = prompts(model, 23, 4, 11, 1, 7);
            for (Side side : Side.values()) {
                for (boolean cache : new boolean[] {true, false}) {
                    GenerationConfig cfg = GenerationConfig.of(SamplingConfig.greedy(), 8, -1, eos(model))
                            .withPaddingSide(side).withCache(cache);
                    Generation batch = Generator.generate(model, prompts, cfg);
                    for (int b = 0; b < prompts.length; b++) {
                        Generation alone = Generator.generate(model, new int[][] {prompts[b]}, cfg);
                        String what = "vocab " + model.config().vocabSize() + " " + side + " cache=" + cache + " row " + b;
                        assertArrayEquals(alone.completions()[0], batch.completions()[b], what);
                        assertClose(alone.logProbs()[0], batch.logProbs()[b], TOL, what);
                    }
                }
            }
        }
    }

    /** Reference: the plain forward of each prompt alone, its last position's logits, float64 log_softmax. */
    @Test
    void greedyFirstTokenIsTheArgmaxOfTheFullForward() {
        for (Gpt2Model model : models()) {
            int[][] prompts = prompts(model, 24, 5, 13, 2);
            for (Side side : Side.values()) {
                Generation g = Generator.generate(model, prompts,
                        GenerationConfig.of(SamplingConfig.greedy(), 1, eos(model), eos(model)).withPaddingSide(side));
                assertEquals(1, g.steps());
                for (int b = 0; b < prompts.length; b++) {
                    double[] logSoftmax = lastLogSoftmax(model, prompts[b]);
                    int argmax = 0;
                    for (int j = 1; j < logSoftmax.length; j++) if (logSoftmax[j] > logSoftmax[argmax]) argmax = j;
                    String what = "vocab " + model.config().vocabSize() + " " + side + " row " + b;
                    assertEquals(argmax, g.completions()[b][0], what);
                    assertEquals(logSoftmax[argmax], g.logProbs()[b][0], TOL, what);
                    assertEquals(1, g.mask()[b][0], what);
                }
            }
        }
    }

    /**
     * Seeded sampling without an eos gives each row's tokens; then the same run with eos = a token row 0 first
     * samples at a step k >= 1: every row stops at its first eos, kept with mask 1, and the pad (= eos, as for
     * GPT-2) follows with mask 0 and log-prob 0. The sampler draws one number per row and step whether or not
     * the row has finished, so the tokens up to each row's eos are those of the run without eos. A batch whose
     * rows all finished stops before maxNewTokens.
     */
    @Test
    void rowsStopAtEosAndArePaddedAfterwards() {
        int[][] prompts = prompts(spread, 25, 6, 3, 10);
        int maxNew = 8;
        for (Side side : Side.values()) {
            for (boolean cache : new boolean[] {true, false}) {
                var free = new GenerationConfig(SamplingConfig.sampling(1f, 5), maxNew, -1, eos(spread), side, cache);
                Generation g = checkEosStops(prompts, free);
                assertTrue(g.lengths()[0] < maxNew);
                Generation alone = checkEosStops(new int[][] {prompts[0]}, free);
                assertEquals(alone.lengths()[0], alone.steps(), "a batch whose rows all finished stops");
                assertTrue(alone.steps() < maxNew);
            }
        }
    }

    /** Runs {@code free} (no eos), picks the eos from its row 0, runs with it and checks stopping and padding. */
    private static Generation checkEosStops(int[][] prompts, GenerationConfig free) {
        Generation reference = Generator.generate(spread, prompts, free);
        int[] row0 = reference.completions()[0];
        int stopAt = 1;
        while (stopAt < row0.length && firstIndex(row0, row0[stopAt]) != stopAt) stopAt++;
        assertTrue(stopAt < row0.length, "row 0 samples no new token after its first: " + Arrays.toString(row0));
        int eos = row0[stopAt];
        var withEos = new GenerationConfig(free.sampling(), free.maxNewTokens(), eos, eos, free.paddingSide(), free.useCache());
        Generation g = Generator.generate(spread, prompts, withEos);
        String what = free.paddingSide() + " cache=" + free.useCache() + " batch " + prompts.length + " eos=" + eos;
        int steps = 0;
        for (int b = 0; b < prompts.length; b++) {
            int[] want = reference.completions()[b];
            int end = firstIndex(want, eos); // index of the row's eos, or -1
            int valid = end < 0 ? want.length : end + 1;
            steps = Math.max(steps, valid);
            assertEquals(valid, g.lengths()[b], what + " row " + b);
            for (int i = 0; i < g.steps(); i++) {
                boolean real = i < valid;
                assertEquals(real ? want[i] : eos, g.completions()[b][i], what + " row " + b + " token " + i);
                assertEquals(real ? 1 : 0, g.mask()[b][i], what + " row " + b + " mask " + i);
                double lp = real ? reference.logProbs()[b][i] : 0;
                assertEquals(lp, g.logProbs()[b][i], TOL, what + " row " + b + " log-prob " + i);
            }
            int[] sequence = g.sequence(b);
            assertArrayEquals(prompts[b], Arrays.copyOf(sequence, prompts[b].length), what);
            assertArrayEquals(Arrays.copyOf(want, valid), Arrays.copyOfRange(sequence, prompts[b].length, sequence.length), what);
        }
        assertEquals(steps, g.steps(), what);
        return g;
    }

    @Test
    void rejectsPromptsTheModelCannotExtend() {
        int positions = policy.config().nPositions(), maxNew = 10, eos = eos(policy);
        GenerationConfig cfg = GenerationConfig.of(SamplingConfig.greedy(), maxNew, eos, eos);
        int[][] longest = prompts(policy, 26, positions - maxNew);
        assertEquals(maxNew, Generator.generate(policy, longest, cfg).steps());
        int[][] tooLong = {prompts(policy, 27, 3)[0], prompts(policy, 28, positions - maxNew + 1)[0]};
        var e = assertThrows(IllegalArgumentException.class, () -> Generator.generate(policy, tooLong, cfg));
        assertTrue(e.getMessage().contains("prompt 1 has " + (positions - maxNew + 1) + " tokens"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(policy, new int[][] {{}}, cfg));
        assertThrows(IllegalArgumentException.class, () -> Generator.generate(policy, new int[][] {{1, eos + 1}}, cfg));
    }

    /** Prompts of the given lengths, ids below the model's eos drawn from a seeded generator. */
    private static int[][] prompts(Gpt2Model model, long seed, int... lengths) {
        Random rng = new Random(seed);
        int[][] out = new int[lengths.length][];
        for (int b = 0; b < lengths.length; b++) out[b] = rng.ints(lengths[b], 0, eos(model)).toArray();
        return out;
    }

    /** log_softmax in float64 of the logits after the prompt's last token, from the unpadded forward. */
    private static double[] lastLogSoftmax(Gpt2Model model, int[] prompt) {
        int t = prompt.length;
        try (var s = Scope.open(); var noGrad = GradMode.off()) {
            Tensor hidden = model.forward(Tensor.ofInts(prompt, 1, t), Padding.positions(new int[] {t}, t, Side.RIGHT), null);
            float[] logits = model.logits(hidden).toFloatArray();
            int v = model.config().vocabSize(), last = (t - 1) * v;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < v; j++) max = Math.max(max, logits[last + j]);
            for (int j = 0; j < v; j++) sum += Math.exp(logits[last + j] - max);
            double lse = max + Math.log(sum);
            double[] out = new double[v];
            for (int j = 0; j < v; j++) out[j] = logits[last + j] - lse;
            return out;
        }
    }

    private static int firstIndex(int[] tokens, int token) {
        for (int i = 0; i < tokens.length; i++) if (tokens[i] == token) return i;
        return -1;
    }

    private static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], tol, what + " index " + i);
    }
}
