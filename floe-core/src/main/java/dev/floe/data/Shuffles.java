package dev.floe.data;

import java.util.Arrays;
import java.util.Random;

/** Seeded permutations and random splits shared by the data set types. */
final class Shuffles {

    private Shuffles() {}

    /** A permutation of {@code 0..n-1}: Fisher–Yates driven by {@code new Random(seed)}. */
    static int[] permutation(int n, long seed) {
        int[] indices = new int[n];
        Arrays.setAll(indices, i -> i);
        Random random = new Random(seed);
        for (int i = indices.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = indices[i];
            indices[i] = indices[j];
            indices[j] = swap;
        }
        return indices;
    }

    /**
     * The two index sets of a random split: the first {@code round(fraction * n)} of
     * {@link #permutation}, then the rest, each sorted back into the original order.
     *
     * @param name the data set, for the error message
     * @throws IllegalArgumentException if {@code fraction} is not strictly between 0 and 1
     */
    static int[][] split(String name, int n, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("split on " + name + ": fraction is " + fraction
                    + "; expected a value strictly between 0 and 1, e.g. 0.8 for an 80/20 split");
        }
        int[] shuffled = permutation(n, seed);
        int firstSize = (int) Math.round(fraction * shuffled.length);
        int[] first = Arrays.copyOfRange(shuffled, 0, firstSize);
        int[] second = Arrays.copyOfRange(shuffled, firstSize, shuffled.length);
        Arrays.sort(first);
        Arrays.sort(second);
        return new int[][] {first, second};
    }
}
