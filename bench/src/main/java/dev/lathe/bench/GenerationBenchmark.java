package dev.lathe.bench;

import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.generate.Generation;
import dev.lathe.models.generate.GenerationConfig;
import dev.lathe.models.generate.Generator;
import dev.lathe.models.generate.SamplingConfig;
import dev.lathe.models.io.Gpt2Config;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Generation throughput with and without the KV cache: 32 new tokens (greedy, no eos, so every row runs all 32
 * steps) after a batch of 8 prompts of 32 random tokens, on a random GPT-2 of n_embd 256, 4 layers, 8 heads and
 * GPT-2's 50257-token vocabulary. One operation is one generated token, so the score is tokens/s.
 * Run: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/lathe.jar
 * org.openjdk.jmh.Main GenerationBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 4, time = 4)
@Fork(value = 1, jvmArgs = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GenerationBenchmark {
    private static final int BATCH = 8, PROMPT = 32, NEW_TOKENS = 32;

    @Param({"true", "false"})
    public boolean useCache;

    private Gpt2Model model;
    private int[][] prompts;
    private GenerationConfig config;

    @Setup(Level.Trial)
    public void setup() {
        model = Gpt2Model.random(Gpt2Config.of(50257, 1024, 256, 4, 8), new Random(42));
        Random rng = new Random(7);
        prompts = new int[BATCH][];
        for (int b = 0; b < BATCH; b++) prompts[b] = rng.ints(PROMPT, 0, 50256).toArray();
        config = GenerationConfig.of(SamplingConfig.greedy(), NEW_TOKENS, -1, 50256).withCache(useCache);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH * NEW_TOKENS)
    public Generation generate() {
        return Generator.generate(model, prompts, config);
    }
}
