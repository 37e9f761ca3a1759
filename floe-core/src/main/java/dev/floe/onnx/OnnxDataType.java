package dev.floe.onnx;

/** Element types of ONNX tensors ({@code TensorProto.DataType}), with their byte sizes. */
public enum OnnxDataType {
    /** 32-bit IEEE float. */
    FLOAT(1, 4),
    /** Unsigned 8-bit integer. */
    UINT8(2, 1),
    /** Signed 8-bit integer. */
    INT8(3, 1),
    /** Unsigned 16-bit integer. */
    UINT16(4, 2),
    /** Signed 16-bit integer. */
    INT16(5, 2),
    /** Signed 32-bit integer. */
    INT32(6, 4),
    /** Signed 64-bit integer. */
    INT64(7, 8),
    /** UTF-8 string; no fixed size. */
    STRING(8, 0),
    /** Boolean, one byte. */
    BOOL(9, 1),
    /** 16-bit IEEE half-precision float. */
    FLOAT16(10, 2),
    /** 64-bit IEEE float. */
    DOUBLE(11, 8),
    /** Unsigned 32-bit integer. */
    UINT32(12, 4),
    /** Unsigned 64-bit integer. */
    UINT64(13, 8),
    /** Complex of two 32-bit floats. */
    COMPLEX64(14, 8),
    /** Complex of two 64-bit floats. */
    COMPLEX128(15, 16),
    /** 16-bit brain float (8-bit exponent). */
    BFLOAT16(16, 2);

    private final int code;
    private final int bytes;

    OnnxDataType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /**
     * The number in the file.
     *
     * @return the {@code TensorProto.DataType} number
     */
    public int code() {
        return code;
    }

    /**
     * Bytes per element in {@code raw_data}; 0 for strings, which have no fixed size.
     *
     * @return the byte size of one element, or 0 for strings
     */
    public int bytes() {
        return bytes;
    }

    /** The type with this code, or null when the code is unknown. */
    static OnnxDataType ofCode(long code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
