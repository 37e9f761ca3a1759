package dev.floe.nn;

import ai.djl.ndarray.NDArray;

/**
 * Tells layers, by module path, whether they run in training mode.
 *
 * <p>A module runs in training mode only when the pass is a training pass and something under the
 * module trains: frozen BatchNorm layers use and keep their running statistics, and dropout in a
 * frozen component is off.
 */
@FunctionalInterface
public interface ForwardContext {

    /** Inference everywhere. */
    ForwardContext INFERENCE = path -> false;

    /**
     * @param modulePath a module path such as {@code encoder/block1/bn1}
     * @return true when that module should behave as in training
     */
    boolean training(String modulePath);

    /**
     * Marks the output of one declared layer. A component calls it with the value each layer of its
     * {@link dev.floe.graph.Component#layerOrder() layer order} produces, in that order, and goes on
     * with the value returned, which holds the same numbers. Profilers use it to time layers and to
     * read the gradient that reaches each layer; the default returns {@code value} itself.
     *
     * @param layerPath {@code <component>/<layer>}, e.g. {@code encoder/block1}
     */
    default NDArray layerOutput(String layerPath, NDArray value) {
        return value;
    }

    /**
     * Shows the input of an elementwise activation inside a declared layer, before it is applied;
     * changes nothing. Profilers count ReLU inputs ≤ 0 (dead outputs) and GELU inputs in its flat
     * negative tail. The default does nothing.
     *
     * @param layerPath {@code <component>/<layer>}
     * @param function {@code "relu"} or {@code "gelu"}
     */
    default void activationInput(String layerPath, String function, NDArray input) {}
}
