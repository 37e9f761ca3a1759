package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One named parameter tensor (fp32) of a model, owned by its {@code ModelGraph}.
 *
 * <p>The path is stable ({@code encoder/block1/conv1/weight}) and is the key in checkpoints and
 * safetensors files. Whether the parameter receives gradients is set by a freeze plan through
 * {@link #setTrainable(boolean)}; buffers ({@link ParamKind#isBuffer()}) never do.
 */
public final class Param {

    /** Selects every element, for an in-place copy. */
    private static final NDIndex ALL = new NDIndex("...");

    private final String path;
    private final ParamKind kind;
    private final Shape shape;
    private final NDArray array;
    private final String adapter;
    private boolean trainable;

    Param(String path, ParamKind kind, NDArray array, String adapter) {
        if (kind.isAdapter() != (adapter != null)) {
            throw new IllegalArgumentException(
                    "parameter " + path + " of kind " + kind + " must " + (kind.isAdapter() ? "" : "not ")
                            + "name the LoRA module or adapter it belongs to");
        }
        this.path = path;
        this.kind = kind;
        this.adapter = adapter;
        this.shape = array.getShape();
        this.array = array;
        this.trainable = false;
        array.setName(path);
    }

    /**
     * The stable path, e.g. {@code encoder/block1/conv1/weight}.
     *
     * @return the path
     */
    public String path() {
        return path;
    }

    /**
     * What the parameter is for.
     *
     * @return the kind
     */
    public ParamKind kind() {
        return kind;
    }

    /**
     * The name of the LoRA module or adapter this parameter belongs to, or null for base
     * parameters.
     *
     * @return the module name, or null
     */
    public String adapter() {
        return adapter;
    }

    /**
     * Its shape, fixed for the life of the model.
     *
     * @return the shape
     */
    public Shape shape() {
        return shape;
    }

    /**
     * Number of scalar values.
     *
     * @return the element count
     */
    public long size() {
        return shape.size();
    }

    /**
     * The live array. Forward code reads it; only optimizers and loaders write it, in place.
     * Callers must not close it.
     *
     * @return the array, owned by the model
     */
    public NDArray array() {
        return array;
    }

    /**
     * True when the parameter currently receives gradients and optimizer updates.
     *
     * @return true when trainable
     */
    public boolean trainable() {
        return trainable;
    }

    /**
     * Turns gradient tracking on or off.
     *
     * @param trainable true to track gradients
     * @throws IllegalArgumentException if asked to train a buffer
     */
    public void setTrainable(boolean trainable) {
        if (trainable && kind.isBuffer()) {
            throw new IllegalArgumentException(
                    "parameter " + path + " is a " + kind + " buffer and cannot be trained by gradients");
        }
        if (this.trainable != trainable) {
            array.setRequiresGradient(trainable);
            this.trainable = trainable;
        }
    }

    /**
     * A copy of the current values, row-major.
     *
     * @return a new array of the values
     */
    public float[] toFloatArray() {
        return array.toFloatArray();
    }

    /**
     * Overwrites the values in place (the array object, and any optimizer reference to it, stay
     * the same).
     *
     * @param values row-major values
     * @param sourceShape the shape the values come with; must equal {@link #shape()} exactly
     * @throws IllegalArgumentException naming this parameter when the shape differs
     */
    public void load(float[] values, long[] sourceShape) {
        if (!Arrays.equals(sourceShape, shape.getShape())) {
            throw new IllegalArgumentException(
                    "tensor "
                            + path
                            + " has shape "
                            + Arrays.toString(sourceShape)
                            + " in the file but the model expects "
                            + Arrays.toString(shape.getShape())
                            + "; the file was written for a different architecture — check the"
                            + " component's sizes, or load a file made for this model");
        }
        if (values.length != shape.size()) {
            throw new IllegalArgumentException(
                    "tensor " + path + " has " + values.length + " values but shape "
                            + shape + " needs " + shape.size());
        }
        boolean grad = array.hasGradient();
        // a leaf that requires grad cannot be written in place while autograd records it
        if (grad) {
            array.setRequiresGradient(false);
        }
        try (NDArray staging = array.getManager().create(values, shape)) {
            // index_put_ copies into the existing libtorch storage, so the Java-backed staging can go
            // right after; the optimizer keeps referring to this array
            array.set(ALL, staging);
        }
        if (grad) {
            array.setRequiresGradient(true);
        }
    }

    /**
     * The data type (always fp32 in this version).
     *
     * @return the data type
     */
    public DataType dataType() {
        return array.getDataType();
    }

    @Override
    public String toString() {
        return path + " " + shape + " " + kind + (trainable ? " trainable" : " frozen");
    }
}
