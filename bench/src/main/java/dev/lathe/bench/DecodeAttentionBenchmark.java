package dev.lathe.bench;

import dev.lathe.core.cpu.AttentionRows;
import dev.lathe.core.cpu.CpuAttention;
import dev.lathe.core.cpu.CpuDecodeAttention;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Attention cost of generating one token with and without a KV cache, for one GPT-2-small layer (H=12, D=64,
 * C=768) at batch 8 with 512 positions: {@code decodeStep} is one query per row against a cache holding 512
 * positions (CpuDecodeAttention, Tq=1); {@code fullRecompute} is what a cacheless step recomputes, causal
 * attention over all 512 positions of a packed [B, T, 3C] q|k|v (CpuAttention.forward).
 * Run: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/lathe.jar
 * org.openjdk.jmh.Main DecodeAttentionBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeAttentionBenchmark {
    private static final int B = 8, T = 512, H = 12, D = 64, C = H * D;
    private static final float SCALE = (float) (1.0 / Math.sqrt(D));

    private Arena arena;
    private AttentionRows stepQ, kCache, vCache, stepOut;
    private AttentionRows q, k, v, out;
    private MemorySegment lse;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(42);
        stepQ = new AttentionRows(random(B * C, rnd), C);
        kCache = new AttentionRows(random(B * T * C, rnd), C);
        vCache = new AttentionRows(random(B * T * C, rnd), C);
        stepOut = new AttentionRows(arena.allocate((long) B * C * Float.BYTES, 64), C);
        MemorySegment qkv = random(B * T * 3 * C, rnd);
        q = new AttentionRows(qkv, 3 * C);
        k = new AttentionRows(qkv.asSlice((long) C * Float.BYTES), 3 * C);
        v = new AttentionRows(qkv.asSlice(2L * C * Float.BYTES), 3 * C);
        out = new AttentionRows(arena.allocate((long) B * T * C * Float.BYTES, 64), C);
        lse = arena.allocate((long) B * H * T * Float.BYTES, 64);
    }

    private MemorySegment random(long n, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(n * Float.BYTES, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        return s;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment decodeStep() {
        CpuDecodeAttention.forward(B, 1, T, T, H, H, D, SCALE, stepQ, kCache, vCache, null, stepOut);
        return stepOut.seg();
    }

    @Benchmark
    public MemorySegment fullRecompute() {
        CpuAttention.forward(B, T, H, H, D, SCALE, q, k, v, null, out, lse);
        return out.seg();
    }
}
