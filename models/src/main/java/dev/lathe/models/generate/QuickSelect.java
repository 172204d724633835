package dev.lathe.models.generate;

/** Hoare's selection on distinct long keys: the k smallest moved to the front in O(n) expected time. */
final class QuickSelect {
    private QuickSelect() {}

    /** Rearranges a so that a[0 .. k-1] are its k smallest keys (unordered) and a[k-1] is the k-th smallest. */
    static void smallest(long[] a, int k) {
        if (k < 1 || k > a.length) throw new IllegalArgumentException("k=" + k + " of " + a.length + " keys");
        int lo = 0, hi = a.length - 1, target = k - 1;
        while (lo < hi) {
            long pivot = median(a[lo], a[(lo + hi) >>> 1], a[hi]);
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) {
                    long t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            // a[lo .. j] <= pivot <= a[i .. hi]; anything strictly between j and i equals the pivot.
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return;
        }
    }

    private static long median(long x, long y, long z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }
}
