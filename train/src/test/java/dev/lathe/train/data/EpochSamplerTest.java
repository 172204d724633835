package dev.lathe.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EpochSamplerTest {
    @Test
    void everyEpochIsAPermutationCutIntoBatchesWithAShortLastOne() {
        var sampler = new EpochSampler(7, 3, 5);
        for (int epoch = 1; epoch <= 3; epoch++) {
            int[] a = sampler.next(), b = sampler.next(), c = sampler.next();
            assertEquals(3, a.length);
            assertEquals(3, b.length);
            assertEquals(1, c.length);
            int[] all = new int[7];
            System.arraycopy(a, 0, all, 0, 3);
            System.arraycopy(b, 0, all, 3, 3);
            all[6] = c[0];
            Arrays.sort(all);
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, all);
            assertEquals(epoch, sampler.epoch(), 1e-12);
        }
    }

    @Test
    void theSeedFixesTheOrder() {
        var one = new EpochSampler(50, 50, 9);
        var same = new EpochSampler(50, 50, 9);
        var other = new EpochSampler(50, 50, 10);
        int[] first = one.next();
        assertArrayEquals(first, same.next());
        assertFalse(Arrays.equals(first, other.next()));
        assertFalse(Arrays.equals(first, one.next()), "a new permutation each epoch");
    }
}
