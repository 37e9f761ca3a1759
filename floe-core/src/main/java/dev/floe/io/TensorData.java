package dev.floe.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as raw bytes: element type, shape and the elements in row-major order, little-endian.
 * Tensors are named by the map that holds them (as in a safetensors file), not by this record.
 *
 * <p>The record keeps a view of the bytes between the buffer's position and limit, not a copy: the
 * caller must not modify that buffer afterwards. {@link #data()} hands out read-only views.
 *
 * <p>Two tensors are equal when their dtype, shape and bytes are equal; floats are compared by bit
 * pattern, so NaNs with the same payload are equal and {@code -0.0f} differs from {@code 0.0f}.
 *
 * @param dtype element type
 * @param shape dimensions, outermost first; {@code []} is a scalar; every dimension {@code >= 0}
 * @param data exactly {@code numElements() * dtype.byteSize()} remaining bytes, little-endian
 */
public record TensorData(DType dtype, long[] shape, ByteBuffer data) {

    /** Bytes copied at a time when the data is not backed by an array. */
    private static final int COPY_CHUNK_BYTES = 1 << 16;

    /**
     * Validates and takes a view of {@code data}'s remaining bytes.
     *
     * @param dtype element type
     * @param shape dimensions, outermost first; {@code []} is a scalar; every dimension
     *     {@code >= 0}
     * @param data exactly {@code numElements() * dtype.byteSize()} remaining bytes, little-endian
     * @throws IllegalArgumentException if a dimension is negative or the byte count of
     *     {@code data} does not match the shape and dtype
     */
    public TensorData {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long elements = Shapes.elementCount(shape, "tensor data");
        long expected;
        try {
            expected = Shapes.byteCount(elements, dtype);
        } catch (ArithmeticException e) {
            expected = Long.MAX_VALUE;
        }
        if (data.remaining() != expected) {
            throw new IllegalArgumentException(
                    "tensor data of dtype "
                            + dtype
                            + " and shape "
                            + Arrays.toString(shape)
                            + " has "
                            + data.remaining()
                            + " bytes; expected "
                            + elements
                            + " elements x "
                            + dtype.byteSize()
                            + " bytes = "
                            + expected
                            + " bytes; pass a buffer whose position-to-limit range holds exactly"
                            + " the tensor's elements");
        }
        data = data.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * An {@link DType#F32} tensor holding {@code values} in row-major order. Bit patterns are kept
     * exactly (NaN payloads, {@code -0.0f}, subnormals).
     *
     * @param shape dimensions, outermost first; copied
     * @param values the elements, row-major; copied
     * @return a new F32 tensor
     * @throws IllegalArgumentException if {@code values.length} is not the shape's element count
     */
    public static TensorData ofFloats(long[] shape, float[] values) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(values, "values");
        long elements = Shapes.elementCount(shape, "ofFloats");
        if (values.length != elements) {
            throw new IllegalArgumentException(
                    "ofFloats: shape "
                            + Arrays.toString(shape)
                            + " holds "
                            + elements
                            + " elements but "
                            + values.length
                            + " values were given; pass exactly one value per element, row-major");
        }
        ByteBuffer bytes =
                ByteBuffer.allocate(values.length * DType.F32.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values); // a bulk copy keeps raw bit patterns (NaN payloads, -0.0)
        return new TensorData(DType.F32, shape, bytes);
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
     * The elements' bytes as a read-only, little-endian buffer positioned at 0 whose limit is the
     * byte count. Each call returns a new view, so moving its position does not affect this tensor.
     *
     * @return a new read-only little-endian view of the element bytes
     */
    @Override
    public ByteBuffer data() {
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The number of elements: the product of the shape (1 for a scalar).
     *
     * @return the element count
     */
    public long numElements() {
        return Shapes.elementCount(shape, "tensor data");
    }

    /**
     * The number of data bytes: {@code numElements() * dtype().byteSize()}.
     *
     * @return the byte count of the data
     */
    public int byteLength() {
        return data.remaining();
    }

    /**
     * The elements as floats, row-major, bit patterns kept exactly.
     *
     * @return a new array with the elements
     * @throws IllegalStateException if the dtype is not {@link DType#F32}; no other dtype is
     *     converted (not even F16 or BF16)
     */
    public float[] toFloats() {
        if (dtype != DType.F32) {
            throw new IllegalStateException(
                    "toFloats converts only F32 tensors, but this tensor is "
                            + dtype
                            + " with shape "
                            + Arrays.toString(shape)
                            + "; read its little-endian bytes from data() and convert them");
        }
        ByteBuffer bytes = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / DType.F32.byteSize()];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    /** Writes the data bytes to {@code out}. */
    void writeTo(OutputStream out) throws IOException {
        ByteBuffer bytes = data.duplicate();
        if (bytes.hasArray()) {
            out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
            return;
        }
        byte[] chunk = new byte[Math.min(bytes.remaining(), COPY_CHUNK_BYTES)];
        while (bytes.hasRemaining()) {
            int n = Math.min(chunk.length, bytes.remaining());
            bytes.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorData that
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && data.equals(that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), data);
    }

    @Override
    public String toString() {
        return "TensorData[dtype="
                + dtype
                + ", shape="
                + Arrays.toString(shape)
                + ", bytes="
                + data.remaining()
                + "]";
    }
}
