package dev.floe.nn;

import ai.djl.ndarray.NDArray;

/**
 * Inverted dropout. Active only when {@link ForwardContext#training(String)} is true for the module that holds
 * it (so never inside a frozen component). Masks come from the engine's seeded generator, through
 * {@link ForwardContext#dropout} (so gradient checkpointing can replay them).
 */
public final class Dropout implements Layer {

    private final String path;
    private final String owner;
    private final float rate;

    /**
     * A dropout layer; it has no parameters.
     *
     * @param path the layer's module path, e.g. {@code encoder/drop}
     * @param rate probability of zeroing an element, in [0, 1)
     * @throws IllegalArgumentException if {@code rate} is outside [0, 1)
     */
    public Dropout(String path, float rate) {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException(
                    "dropout " + path + ": rate must be in [0, 1), found " + rate);
        }
        this.path = path;
        int slash = path.lastIndexOf('/');
        // a parameterless layer follows the module that holds it
        this.owner = slash < 0 ? path : path.substring(0, slash);
        this.rate = rate;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public NDArray forward(ForwardContext context, NDArray input) {
        if (rate == 0f || !context.training(owner)) {
            return input;
        }
        return context.dropout(path, input, rate);
    }
}
