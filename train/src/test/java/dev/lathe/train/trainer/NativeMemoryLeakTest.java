package dev.lathe.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lathe.core.Tensor;
import dev.lathe.core.memory.HostAllocator;
import dev.lathe.models.gpt2.Gpt2Model;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.cli.TrainFixture;
import dev.lathe.train.data.SftData;
import dev.lathe.train.data.SftExample;
import dev.lathe.train.sft.SftTask;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 SFT steps on the gpt2-tiny policy: the live native bytes and blocks at the start of step 201 equal those at
 * the start of step 11 (after warm-up caches), so no step leaks even one tensor.
 */
class NativeMemoryLeakTest {
    private static final int STEPS = 200, WARM = 10;

    @TempDir
    Path dir;

    @Test
    void twoHundredStepsHoldNoMoreNativeMemoryThanTen() throws IOException {
        Path modelDir = TrainFixture.modelDir(dir, "policy");
        ByteLevelBpeTokenizer tokenizer = ByteLevelBpeTokenizer.fromDirectory(modelDir);
        List<SftExample> rows = SftData.load(TrainFixture.dataFile(dir, "sft.jsonl"), tokenizer, 16).rows();
        // weight decay, clipping and a decaying schedule: every part of the step runs
        var config = new TrainingConfig(dir.resolve("run"), 1e-4, 0.01, 0.9, 0.999, 1e-8, "linear", 5, 0, 1, 2,
                STEPS + 1, 0, 0.5, 3, 0);
        long[] bytes = new long[2], blocks = new long[2];
        try (Gpt2Model model = Gpt2Model.load(modelDir)) {
            var sft = new SftTask(model, rows, tokenizer.eosTokenId(), target -> {});
            var watched = new TrainingTask() {
                int calls;

                @Override
                public int size() {
                    return sft.size();
                }

                @Override
                public Map<String, Tensor> namedParameters() {
                    return sft.namedParameters();
                }

                @Override
                public double normaliserShare(int example) {
                    return sft.normaliserShare(example);
                }

                /** Samples the allocator at the first micro-batch of steps WARM + 1 and STEPS + 1 (2 per step). */
                @Override
                public MicroStep accumulate(int[] examples, double normaliser, StepMetrics metrics) {
                    if (calls == 2 * WARM || calls == 2 * STEPS) {
                        int i = calls == 2 * WARM ? 0 : 1;
                        bytes[i] = HostAllocator.liveBytes();
                        blocks[i] = HostAllocator.liveBlocks();
                    }
                    calls++;
                    return sft.accumulate(examples, normaliser, metrics);
                }

                @Override
                public void save(Path target) throws IOException {
                    Files.createDirectories(target); // the weights themselves are not under test
                }
            };
            new Trainer("sft", config, null, new PrintStream(OutputStream.nullOutputStream()), false).run(watched);
            assertEquals(2 * (STEPS + 1), watched.calls);
        }
        assertEquals(blocks[0], blocks[1], "live native blocks after step " + WARM + " and after step " + STEPS);
        assertEquals(bytes[0], bytes[1], "live native bytes after step " + WARM + " and after step " + STEPS);
    }
}
