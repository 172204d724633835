package dev.lathe.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * TRL's "bfd" packing: sequences, longest first (ties in dataset order), each go into the open row with the least
 * room that still fits it (ties: the row opened first), or a new row. Rows hold at most {@code capacity} tokens; every sequence lands in
 * exactly one row, whole.
 */
public final class BfdPacking {
    private BfdPacking() {}

    /** Rows of sequence indices (into {@code lengths}), in the order the rows were opened; each row in placement order. */
    public static List<int[]> pack(int[] lengths, int capacity) {
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 1 || lengths[i] > capacity) {
                throw new IllegalArgumentException("sequence " + i + " has " + lengths[i] + " tokens, rows hold 1.." + capacity);
            }
        }
        Integer[] order = IntStream.range(0, lengths.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -lengths[i]).thenComparingInt(i -> i));
        List<List<Integer>> rows = new ArrayList<>();
        int[] room = new int[lengths.length];
        // Rows with room left, by room; rows with equal room by index.
        TreeMap<Integer, TreeSet<Integer>> byRoom = new TreeMap<>();
        for (int seq : order) {
            Integer fit = byRoom.ceilingKey(lengths[seq]);
            int row;
            if (fit == null) {
                row = rows.size();
                rows.add(new ArrayList<>());
                room[row] = capacity;
            } else {
                TreeSet<Integer> same = byRoom.get(fit);
                row = same.pollFirst();
                if (same.isEmpty()) byRoom.remove(fit);
            }
            rows.get(row).add(seq);
            room[row] -= lengths[seq];
            if (room[row] > 0) byRoom.computeIfAbsent(room[row], r -> new TreeSet<>()).add(row);
        }
        List<int[]> out = new ArrayList<>(rows.size());
        for (List<Integer> row : rows) out.add(row.stream().mapToInt(Integer::intValue).toArray());
        return out;
    }
}
