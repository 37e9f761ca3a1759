package dev.floe.graph;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Locale;

/** Element types a port may carry. */
public enum ElementType {
    /** 32-bit IEEE floats: activations, weights. */
    FLOAT32(DataType.FLOAT32),
    /** 64-bit integers: token ids, class labels. */
    INT64(DataType.INT64),
    /** 32-bit integers. */
    INT32(DataType.INT32),
    /** Booleans: attention masks. */
    BOOLEAN(DataType.BOOLEAN);

    private final DataType djl;

    ElementType(DataType djl) {
        this.djl = djl;
    }

    /**
     * The engine's data type.
     *
     * @return the DJL data type
     */
    public DataType toDataType() {
        return djl;
    }

    /**
     * The type for an engine data type, or an error naming the supported ones.
     *
     * @param type a DJL data type
     * @return the matching element type
     */
    public static ElementType of(DataType type) {
        for (ElementType t : values()) {
            if (t.djl == type) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "data type " + type + " is not supported; expected one of " + Arrays.toString(values()));
    }

    /**
     * Parses {@code float32}, {@code int64}, ... (case-insensitive).
     *
     * @param text the type name
     * @return the element type
     */
    public static ElementType parse(String text) {
        for (ElementType t : values()) {
            if (t.name().equalsIgnoreCase(text.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "unknown dtype '" + text + "'; expected one of float32, int64, int32, boolean");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
