package dev.lathe.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A seeded split of a data set into training and evaluation rows ({@code --eval-fraction}): ceil(fraction · n)
 * rows picked by a seeded shuffle are held out; both parts keep the file's order.
 */
public record HeldOut<T>(List<T> train, List<T> eval) {
    public static <T> HeldOut<T> split(List<T> rows, double fraction, long seed) {
        int n = rows.size();
        int held = (int) Math.ceil(fraction * n);
        if (!(fraction > 0 && fraction < 1) || held < 1 || held >= n) {
            throw new IllegalArgumentException("an eval fraction of " + fraction + " of " + n
                    + " rows leaves no training or no evaluation rows");
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Random rng = new Random(seed);
        for (int i = n - 1; i > 0; i--) { // Fisher–Yates
            int j = rng.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        boolean[] isEval = new boolean[n];
        for (int i : Arrays.copyOf(order, held)) isEval[i] = true;
        List<T> train = new ArrayList<>(n - held), eval = new ArrayList<>(held);
        for (int i = 0; i < n; i++) (isEval[i] ? eval : train).add(rows.get(i));
        return new HeldOut<>(List.copyOf(train), List.copyOf(eval));
    }
}
