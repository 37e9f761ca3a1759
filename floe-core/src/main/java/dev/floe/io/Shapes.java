package dev.floe.io;

import java.util.Arrays;

/** Shape arithmetic shared by tensor values and header entries. */
final class Shapes {

    private Shapes() {}

    /**
     * The number of elements of {@code shape} (1 for a scalar, shape {@code []}).
     *
     * @throws IllegalArgumentException naming {@code what} if a dimension is negative or the
     *     product overflows a {@code long}
     */
    static long elementCount(long[] shape, String what) {
        long count = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException(
                        what
                                + " has shape "
                                + Arrays.toString(shape)
                                + " with a negative dimension; expected every dimension >= 0");
            }
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(
                        what
                                + " has shape "
                                + Arrays.toString(shape)
                                + " whose element count overflows a long; expected a product of"
                                + " dimensions below 2^63",
                        e);
            }
        }
        return count;
    }

    /**
     * The number of bytes of {@code elements} elements of {@code dtype}.
     *
     * @throws ArithmeticException if it overflows a {@code long}
     */
    static long byteCount(long elements, DType dtype) {
        return Math.multiplyExact(elements, (long) dtype.byteSize());
    }
}
