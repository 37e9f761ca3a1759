package dev.floe.onnx;

/** Element types of ONNX tensors ({@code TensorProto.DataType}), with their byte sizes. */
public enum OnnxDataType {
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    UINT16(4, 2),
    INT16(5, 2),
    INT32(6, 4),
    INT64(7, 8),
    STRING(8, 0),
    BOOL(9, 1),
    FLOAT16(10, 2),
    DOUBLE(11, 8),
    UINT32(12, 4),
    UINT64(13, 8),
    COMPLEX64(14, 8),
    COMPLEX128(15, 16),
    BFLOAT16(16, 2);

    private final int code;
    private final int bytes;

    OnnxDataType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The number in the file. */
    public int code() {
        return code;
    }

    /** Bytes per element in {@code raw_data}; 0 for strings, which have no fixed size. */
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
