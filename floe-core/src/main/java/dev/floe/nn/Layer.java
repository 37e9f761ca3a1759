package dev.floe.nn;

import ai.djl.ndarray.NDArray;

/** A layer with one input and one output, living at a module path. */
public interface Layer {

    /**
     * The module path, e.g. {@code encoder/block1/conv1}.
     *
     * @return the path
     */
    String path();

    /**
     * Applies the layer. Output arrays belong to the input's manager.
     *
     * @param context the forward context (training mode, dropout, checkpointing)
     * @param input the input array
     * @return the output array
     */
    NDArray forward(ForwardContext context, NDArray input);
}
