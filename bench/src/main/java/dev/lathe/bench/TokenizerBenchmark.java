package dev.lathe.bench;

import dev.lathe.models.tokenizer.BpeTrainer;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GPT-2 tokenizer throughput on 4 MB of mixed text ({@link TokenizerBenchText}), one thread: encode with the word
 * cache warm (every word of the text already seen once; the cache holds 10,000 words, so the rare tail still
 * runs BPE) and with no cache (every word through BPE). MB/s = 4 MB / time per op. Also: training a 1,000-token
 * vocabulary on 1 MB of it. Run from the project root (the default tokenizer is the test resources' GPT-2):
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/lathe.jar
 * org.openjdk.jmh.Main TokenizerBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TokenizerBenchmark {
    static final int TEXT_BYTES = 4 << 20;
    static final long SEED = 2024;

    @Param("models/src/test/resources/gpt2")
    public String tokenizerDir;

    private String text, trainingText;
    private ByteLevelBpeTokenizer cached, uncached;

    @Setup(Level.Trial)
    public void setup() {
        text = TokenizerBenchText.generate(TEXT_BYTES, SEED);
        trainingText = TokenizerBenchText.generate(1 << 20, SEED + 1);
        cached = ByteLevelBpeTokenizer.fromDirectory(Path.of(tokenizerDir));
        uncached = cached.withCacheCapacity(0);
        int tokens = cached.encode(text).length; // fills the cache
        System.err.printf("text: %d bytes, %d chars, %d tokens%n", text.getBytes(StandardCharsets.UTF_8).length,
                text.length(), tokens);
    }

    @Benchmark
    public int[] encodeWarmCache() {
        return cached.encode(text);
    }

    @Benchmark
    public int[] encodeNoCache() {
        return uncached.encode(text);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public ByteLevelBpeTokenizer train1000On1MB() {
        return new BpeTrainer(1000).train(List.of(trainingText));
    }
}
