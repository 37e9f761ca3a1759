package dev.floe.io;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * The header of a safetensors file: tensor names, dtypes, shapes and data offsets, without the
 * tensor bytes. Returned by {@link Safetensors#readHeader}, which has validated it against the file.
 *
 * @param tensors entries by tensor name, in the order of their data offsets; unmodifiable
 * @param metadata the {@code __metadata__} string map, empty if the file has none; unmodifiable
 * @param dataStart byte position in the file where the data section (offset 0) begins: 8 plus the
 *     header length
 */
public record SafetensorsHeader(
        Map<String, TensorEntry> tensors, Map<String, String> metadata, long dataStart) {

    /**
     * Copies both maps, keeping the iteration order of {@code tensors}.
     *
     * @param tensors entries by tensor name, in the order of their data offsets; unmodifiable
     * @param metadata the {@code __metadata__} string map, empty if the file has none; unmodifiable
     * @param dataStart byte position in the file where the data section (offset 0) begins: 8 plus
     *     the header length
     */
    public SafetensorsHeader {
        tensors = OrderedMaps.copy(tensors, "tensors");
        metadata = OrderedMaps.copy(metadata, "metadata");
        if (dataStart < Long.BYTES) {
            throw new IllegalArgumentException(
                    "dataStart is "
                            + dataStart
                            + "; expected at least "
                            + Long.BYTES
                            + " (the header length prefix)");
        }
    }

    /**
     * Where one tensor's bytes lie and how to read them.
     *
     * @param dtype element type
     * @param shape dimensions, outermost first; {@code []} is a scalar
     * @param begin first byte, relative to the start of the data section
     * @param end one past the last byte, relative to the start of the data section;
     *     {@code end - begin} equals the element count times the dtype size
     */
    public record TensorEntry(DType dtype, long[] shape, long begin, long end) {

        /**
         * @param dtype element type
         * @param shape dimensions, outermost first; {@code []} is a scalar
         * @param begin first byte, relative to the start of the data section
         * @param end one past the last byte, relative to the start of the data section;
         *     {@code end - begin} equals the element count times the dtype size
         * @throws IllegalArgumentException if offsets are negative or reversed, or the byte range
         *     does not match the shape and dtype
         */
        public TensorEntry {
            Objects.requireNonNull(dtype, "dtype");
            shape = Objects.requireNonNull(shape, "shape").clone();
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException(
                        "data offsets ["
                                + begin
                                + ", "
                                + end
                                + "] are invalid; expected 0 <= begin <= end");
            }
            long elements = Shapes.elementCount(shape, "tensor entry");
            long expected;
            try {
                expected = Shapes.byteCount(elements, dtype);
            } catch (ArithmeticException e) {
                expected = Long.MAX_VALUE;
            }
            if (end - begin != expected) {
                throw new IllegalArgumentException(
                        "data offsets ["
                                + begin
                                + ", "
                                + end
                                + "] span "
                                + (end - begin)
                                + " bytes; expected "
                                + expected
                                + " for dtype "
                                + dtype
                                + " and shape "
                                + Arrays.toString(shape));
            }
        }

        /**
         * The dimensions, as a copy.
         *
         * @return a new copy of the dimensions, outermost first
         */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /**
         * The number of elements: the product of the shape (1 for a scalar).
         *
         * @return the element count
         */
        public long numElements() {
            return Shapes.elementCount(shape, "tensor entry");
        }

        /**
         * The number of data bytes: {@code end - begin}.
         *
         * @return the byte count of the tensor's data
         */
        public long byteLength() {
            return end - begin;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TensorEntry that
                    && dtype == that.dtype
                    && Arrays.equals(shape, that.shape)
                    && begin == that.begin
                    && end == that.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return "TensorEntry[dtype="
                    + dtype
                    + ", shape="
                    + Arrays.toString(shape)
                    + ", offsets=["
                    + begin
                    + ", "
                    + end
                    + "]]";
        }
    }
}
