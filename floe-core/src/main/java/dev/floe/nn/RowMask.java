package dev.floe.nn;

import ai.djl.ndarray.NDArray;

/** Per-row routing of a module's contribution (see {@link ForwardContext#routedRows}). */
public final class RowMask {

    private RowMask() {}

    /**
     * {@code value} with every row whose entry in {@code rows} is 0 set to zero; rows are the first axis.
     *
     * @param rows {@code (B)} float32 of 0 and 1, or null for every row
     * @param value {@code (B, ...)}
     * @param layer the layer's module path, for the message
     * @param module the module's name, for the message
     * @return {@code value} itself when {@code rows} is null, else {@code value · rows} broadcast per row
     * @throws IllegalArgumentException when {@code value}'s first axis is not the batch of {@code rows}
     */
    public static NDArray apply(NDArray rows, NDArray value, String layer, String module) {
        if (rows == null) {
            return value;
        }
        long b = rows.getShape().get(0);
        if (value.getShape().dimension() == 0 || value.getShape().get(0) != b) {
            throw new IllegalArgumentException(
                    "cannot route module '" + module + "' per row at " + layer + ": its values have shape " + value.getShape()
                            + " but the batch has " + b + " rows; route only modules on layers whose first axis is the"
                            + " batch");
        }
        long[] shape = new long[value.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = b;
        return value.mul(rows.reshape(shape)); // (B, ...)
    }
}
