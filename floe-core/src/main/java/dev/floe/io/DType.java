package dev.floe.io;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Element types of safetensors tensors that Floe reads and writes. The constant names are the
 * dtype strings of the safetensors header ({@code "F32"}, {@code "I64"}, ...).
 *
 * <p>Every type here is stored and round-tripped as raw little-endian bytes. Only {@link #F32}
 * converts to Java floats ({@link TensorData#toFloats()}); {@link #F16} and {@link #BF16} tensors
 * can be read and written but their bytes are left for the caller to convert.
 */
public enum DType {
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary64. */
    F64(8),
    /** IEEE 754 binary16; raw bytes only. */
    F16(2),
    /** bfloat16 (the upper half of a binary32); raw bytes only. */
    BF16(2),
    /** Signed 64-bit integer. */
    I64(8),
    /** Signed 32-bit integer. */
    I32(4),
    /** Unsigned 8-bit integer. */
    U8(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * Bytes per element.
     *
     * @return the size of one element in bytes
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The type whose safetensors dtype string is {@code name} (case-sensitive, as the format
     * requires), or empty if Floe does not support it.
     *
     * @param name a safetensors dtype string such as {@code F32}
     * @return the matching type, or empty
     */
    public static Optional<DType> forName(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** The supported dtype strings, for error messages: {@code "F32, F64, ..."}. */
    static String supportedNames() {
        return Arrays.stream(values()).map(DType::name).collect(Collectors.joining(", "));
    }
}
