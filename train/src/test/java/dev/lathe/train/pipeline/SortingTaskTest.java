package dev.lathe.train.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lathe.train.pipeline.SortingTask.Verdict;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SortingTaskTest {
    @Test
    void listsAreDistinctDigitsOfTheAllowedLengths() {
        Random rng = new Random(1);
        for (int i = 0; i < 500; i++) {
            int[] d = SortingTask.randomDigits(rng);
            assertTrue(d.length >= SortingTask.MIN_DIGITS && d.length <= SortingTask.MAX_DIGITS);
            assertEquals(d.length, Arrays.stream(d).distinct().count());
            assertTrue(Arrays.stream(d).allMatch(x -> x >= 0 && x <= 9));
            assertArrayEquals(d, SortingTask.digitsOf(SortingTask.prompt(d)));
            assertNotEquals(SortingTask.ascending(d), SortingTask.descending(d));
        }
    }

    @Test
    void judgesFormatAndDirection() {
        int[] d = {3, 8, 1};
        assertEquals("sort 3 8 1:", SortingTask.prompt(d));
        assertEquals(Verdict.ASCENDING, SortingTask.judge(d, " 1 3 8", true));
        assertEquals(Verdict.DESCENDING, SortingTask.judge(d, " 8 3 1", true));
        assertEquals(Verdict.INVALID, SortingTask.judge(d, " 1 3 8", false), "cut off before eos");
        assertEquals(Verdict.INVALID, SortingTask.judge(d, " 1 8 3", true), "not sorted");
        assertEquals(Verdict.INVALID, SortingTask.judge(d, " 1 3", true), "a digit missing");
        assertEquals(Verdict.INVALID, SortingTask.judge(d, " 1 3 8 9", true), "a digit added");
        assertEquals(Verdict.INVALID, SortingTask.judge(d, "1 3 8", true), "format: leading space");
    }
}
