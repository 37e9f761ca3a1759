package dev.floe.explain;

import java.util.Arrays;

/**
 * A copy of one array a forward pass computed, row-major.
 *
 * @param shape its dimensions
 * @param values {@code shape}'s product of values
 */
public record Observed(long[] shape, float[] values) {

    /**
     * Copies the shape and checks that the number of values fits it.
     *
     * @param shape its dimensions
     * @param values {@code shape}'s product of values
     * @throws IllegalArgumentException if {@code values.length} is not the product of {@code shape}
     */
    public Observed {
        shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException(
                    "an observed array of shape " + Arrays.toString(shape) + " needs " + n + " values, found " + values.length);
        }
    }

    /**
     * The value at {@code index} (one coordinate per dimension).
     *
     * @param index one coordinate per dimension
     * @return the value
     * @throws IllegalArgumentException when the index has the wrong rank or is out of range
     */
    public float get(long... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " has " + index.length
                    + " coordinates but the array has shape " + Arrays.toString(shape));
        }
        long flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IllegalArgumentException("index " + Arrays.toString(index) + " is outside shape " + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return values[(int) flat];
    }

    /**
     * A copy of the dimensions.
     *
     * @return a new array of the dimensions
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }
}
