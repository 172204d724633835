package dev.lathe.train.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TrainingConfigTest {
    private static TrainingConfig config(int batch, int accum, int steps, double epochs, int warmup, double ratio) {
        return new TrainingConfig(Path.of("run"), 5e-5, 0, 0.9, 0.999, 1e-8, "linear", warmup, ratio, batch, accum,
                steps, epochs, 1.0, 42, 0);
    }

    @Test
    void epochsCountMicroBatchesWithAShortLastOneThenRoundUpToSteps() {
        // 7 examples in batches of 3: 3 micro-batches an epoch; 2 epochs = 6 micro-batches = 3 steps of 2.
        assertEquals(3, config(3, 2, 0, 2, 0, 0).totalSteps(7));
        // 1.5 epochs = ceil(4.5) = 5 micro-batches = ceil(5 / 2) = 3 steps.
        assertEquals(3, config(3, 2, 0, 1.5, 0, 0).totalSteps(7));
        assertEquals(10, config(3, 2, 10, 0, 0, 0).totalSteps(7), "steps win");
    }

    @Test
    void warmupIsStepsOrACeiledRatio() {
        assertEquals(4, config(1, 1, 10, 0, 4, 0.5).warmup(10));
        assertEquals(3, config(1, 1, 10, 0, 0, 0.25).warmup(10));
        assertEquals(0, config(1, 1, 10, 0, 0, 0).warmup(10));
    }

    @Test
    void nonsenseIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> config(0, 1, 1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> config(1, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> config(1, 1, 1, 0, 0, 1.5));
    }

    @Test
    void biasesAndLayerNormsAreNotDecayed() {
        assertTrue(Optimizers.isBiasOrNorm("transformer.h.0.attn.c_attn.bias"));
        assertTrue(Optimizers.isBiasOrNorm("transformer.h.1.ln_2.weight"));
        assertTrue(Optimizers.isBiasOrNorm("transformer.ln_f.weight"));
        assertFalse(Optimizers.isBiasOrNorm("transformer.wte.weight"));
        assertFalse(Optimizers.isBiasOrNorm("score.weight"));
    }
}
