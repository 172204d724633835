package dev.lathe.bench;

import dev.lathe.core.cpu.CpuGemm;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CpuGemm.sgemm on the GPT-2 shapes, m x n x k = tokens x out x in, A = activations [m,k], B = a PyTorch
 * [out,in] weight (transB = true) or the same weight stored [in,out] (transB = false). GFLOP/s = 2mnk / time.
 * Run: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/lathe.jar
 * org.openjdk.jmh.Main GemmBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GemmBenchmark {
    @Param({"1024x1024x1024", "256x2304x768", "256x3072x768", "256x50257x768"})
    public String shape;

    @Param({"true", "false"})
    public boolean transB;

    private Arena arena;
    private MemorySegment a, b, c;
    private int m, n, k;

    @Setup(Level.Trial)
    public void setup() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(42);
        a = fill(arena.allocate((long) m * k * Float.BYTES, 64), rnd);
        b = fill(arena.allocate((long) k * n * Float.BYTES, 64), rnd);
        c = arena.allocate((long) m * n * Float.BYTES, 64);
    }

    private static MemorySegment fill(MemorySegment s, SplittableRandom rnd) {
        for (long i = 0; i < s.byteSize() / Float.BYTES; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        }
        return s;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment sgemm() {
        CpuGemm.sgemm(false, transB, m, n, k, 1f, a, k, b, transB ? k : n, 0f, c, n);
        return c;
    }
}
