package dev.floe.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of an ONNX file ({@code TensorProto}), validated when the file was read: its
 * element count matches its dims and its data. The values are decoded on request; raw data is not
 * copied until then.
 */
public final class OnnxTensor {

    private final String name;
    private final long[] dims;
    private final OnnxDataType dataType;
    private final long offset;
    private final byte[] raw;
    private final int rawFrom;
    private final int rawLength;
    private final float[] floatData;
    private final long[] int64Data;

    OnnxTensor(String name, long[] dims, OnnxDataType dataType, long offset, byte[] raw, int rawFrom, int rawLength,
            float[] floatData, long[] int64Data) {
        this.name = name;
        this.dims = dims.clone();
        this.dataType = dataType;
        this.offset = offset;
        this.raw = raw;
        this.rawFrom = rawFrom;
        this.rawLength = rawLength;
        this.floatData = floatData;
        this.int64Data = int64Data;
    }

    /**
     * The tensor's name, e.g. {@code encoder.layer.0.attention.self.query.bias}.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Dimensions, outermost first (a copy).
     *
     * @return a new copy of the dimensions
     */
    public long[] dims() {
        return dims.clone();
    }

    /**
     * Element type.
     *
     * @return the element type
     */
    public OnnxDataType dataType() {
        return dataType;
    }

    /**
     * Byte offset of the tensor's message in the file, for messages.
     *
     * @return the byte offset
     */
    public long offset() {
        return offset;
    }

    /**
     * Number of elements (product of the dims; 1 for a scalar).
     *
     * @return the element count
     */
    public long elementCount() {
        return count(dims);
    }

    static long count(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * The values of a FLOAT tensor, row-major.
     *
     * @return a new array of the values
     * @throws IllegalStateException naming the tensor when it is not FLOAT
     */
    public float[] toFloats() {
        if (dataType != OnnxDataType.FLOAT) {
            throw new IllegalStateException(
                    "tensor " + name + " is " + dataType + ", not FLOAT; convert it when exporting or read it as " + dataType);
        }
        if (raw != null) {
            float[] out = new float[rawLength / Float.BYTES];
            ByteBuffer.wrap(raw, rawFrom, rawLength).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
        return floatData == null ? new float[0] : floatData.clone();
    }

    /**
     * The values of an INT64 tensor, row-major.
     *
     * @return a new array of the values
     * @throws IllegalStateException naming the tensor when it is not INT64
     */
    public long[] toLongs() {
        if (dataType != OnnxDataType.INT64) {
            throw new IllegalStateException(
                    "tensor " + name + " is " + dataType + ", not INT64; read it with the accessor for " + dataType);
        }
        if (raw != null) {
            long[] out = new long[rawLength / Long.BYTES];
            ByteBuffer.wrap(raw, rawFrom, rawLength).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
        return int64Data == null ? new long[0] : int64Data.clone();
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(dims) + " " + dataType;
    }
}
