package dev.lathe.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Best-fit-decreasing packing: a worked example, and on random lengths every sequence placed exactly once, no row
 * over capacity, and the rows a direct quadratic best-fit-decreasing gives.
 */
class BfdPackingTest {
    @Test
    void workedExample() {
        // Longest first: 5 → new row 0 (room 3), 4 → new row 1 (room 4), 3 → row 0 (room 3 is the tightest fit),
        // 3 → row 1 (room 1), 2 → new row 2, 1 → row 1 (room 1 beats row 2's 6).
        List<int[]> rows = BfdPacking.pack(new int[] {5, 4, 3, 3, 2, 1}, 8);
        assertEquals(3, rows.size());
        assertArrayEquals(new int[] {0, 2}, rows.get(0));
        assertArrayEquals(new int[] {1, 3, 5}, rows.get(1));
        assertArrayEquals(new int[] {4}, rows.get(2));
    }

    @Test
    void randomLengthsArePlacedOnceWithinCapacityAsBestFitDecreasing() {
        Random rng = new Random(17);
        for (int trial = 0; trial < 50; trial++) {
            int capacity = 8 + rng.nextInt(120), n = 1 + rng.nextInt(200);
            int[] lengths = new int[n];
            for (int i = 0; i < n; i++) lengths[i] = 1 + rng.nextInt(capacity);
            List<int[]> rows = BfdPacking.pack(lengths, capacity);
            int[] seen = new int[n];
            for (int[] row : rows) {
                int used = 0;
                for (int i : row) {
                    seen[i]++;
                    used += lengths[i];
                }
                assertTrue(used <= capacity, "row of " + used + " tokens, capacity " + capacity);
            }
            for (int i = 0; i < n; i++) assertEquals(1, seen[i], "sequence " + i + " placed " + seen[i] + " times");
            List<int[]> want = quadraticBestFitDecreasing(lengths, capacity);
            assertEquals(want.size(), rows.size());
            for (int r = 0; r < want.size(); r++) assertArrayEquals(want.get(r), rows.get(r), "row " + r);
        }
    }

    @Test
    void sequencesLongerThanARowAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> BfdPacking.pack(new int[] {3, 9}, 8));
        assertThrows(IllegalArgumentException.class, () -> BfdPacking.pack(new int[] {0}, 8));
    }

    /** The definition, directly: longest first (stable), into the row with the least room that fits, lowest index on ties. */
    private static List<int[]> quadraticBestFitDecreasing(int[] lengths, int capacity) {
        int n = lengths.length;
        boolean[] placed = new boolean[n];
        List<List<Integer>> rows = new ArrayList<>();
        List<Integer> room = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int seq = -1;
            for (int i = 0; i < n; i++) if (!placed[i] && (seq < 0 || lengths[i] > lengths[seq])) seq = i;
            placed[seq] = true;
            int best = -1;
            for (int r = 0; r < rows.size(); r++) {
                if (room.get(r) >= lengths[seq] && (best < 0 || room.get(r) < room.get(best))) best = r;
            }
            if (best < 0) {
                best = rows.size();
                rows.add(new ArrayList<>());
                room.add(capacity);
            }
            rows.get(best).add(seq);
            room.set(best, room.get(best) - lengths[seq]);
        }
        List<int[]> out = new ArrayList<>();
        for (List<Integer> row : rows) out.add(row.stream().mapToInt(Integer::intValue).toArray());
        return out;
    }
}
