package dev.lathe.bench;

import dev.lathe.core.Tensor;
import dev.lathe.core.ops.LossOps;
import dev.lathe.core.ops.MatmulOps;
import dev.lathe.kernels.MaskedCrossEntropy;
import java.util.Random;
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
 * Forward + backward of SFT's masked cross-entropy through GPT-2's LM head (V = 50257, D = 768) for 256
 * tokens: fused (streamed chunks, single pass) vs the unfused autograd composition (full logits, log-softmax,
 * mean, backward). Run: java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * bench/target/lathe.jar org.openjdk.jmh.Main FusedLossBenchmark
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgs = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class FusedLossBenchmark {
    private static final int TOKENS = 256, HIDDEN = 768, VOCAB = 50257;

    private Tensor h, w, y;

    @Setup(Level.Trial)
    public void setup() {
        Random rng = new Random(42);
        h = Tensor.randn(rng, 1f, TOKENS, HIDDEN).requiresGrad(true);
        w = Tensor.randn(rng, 0.02f, VOCAB, HIDDEN).requiresGrad(true);
        int[] ids = new int[TOKENS];
        for (int i = 0; i < TOKENS; i++) ids[i] = rng.nextInt(VOCAB);
        y = Tensor.ofInts(ids);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        h.close();
        w.close();
        y.close();
    }

    @Benchmark
    public float fused() {
        try (var step = dev.lathe.core.Scope.open()) {
            Tensor loss = MaskedCrossEntropy.loss(h, w, y);
            loss.backward();
            return finish(loss);
        }
    }

    @Benchmark
    public float unfused() {
        try (var step = dev.lathe.core.Scope.open()) {
            Tensor loss = LossOps.crossEntropy(MatmulOps.matmul(h, w.t()), y, LossOps.IGNORE_INDEX);
            loss.backward();
            return finish(loss);
        }
    }

    private float finish(Tensor loss) {
        float value = loss.item();
        h.zeroGrad();
        w.zeroGrad();
        return value;
    }
}
