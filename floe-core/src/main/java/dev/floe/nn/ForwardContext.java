package dev.floe.nn;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Tells layers, by module path, whether they run in training mode.
 *
 * <p>A module runs in training mode only when the pass is a training pass and something under the
 * module trains: frozen BatchNorm layers use and keep their running statistics, and dropout in a
 * frozen component is off.
 *
 * <p>A context may also run checkpointable segments of the forward pass in its own way
 * ({@link #segment}), supply dropout masks ({@link #dropout}) and keep layers from updating running
 * statistics ({@link #updatesRunningStatistics}); gradient checkpointing uses these hooks to drop a
 * segment's activations after the forward pass and recompute them, with the same dropout masks,
 * for the backward pass. The defaults run everything plainly.
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
     * Runs one segment of the forward pass that gradient checkpointing may recompute. Components call
     * it for each of their {@code Component#checkpointSegments()} and the graph calls it for every
     * component. The default runs {@code body} on {@code inputs}.
     *
     * <p>{@code body} must compute its outputs from {@code inputs}, the parameters under
     * {@code path} and arrays it captures that need no gradient (masks, ids); every array a gradient
     * must flow back into has to be passed in {@code inputs}. It may run twice (once without
     * recording a graph, once with), so it must not change anything but what layers change
     * through this context.
     *
     * @param body computes the outputs from the inputs; may be run again during backward
     * @param path the segment's module path, e.g. {@code encoder/layer.3}
     * @param inputs arrays by name; none is null
     * @return the body's outputs by name
     */
    default Map<String, NDArray> segment(
            String path, Map<String, NDArray> inputs, UnaryOperator<Map<String, NDArray>> body) {
        return body.apply(inputs);
    }

    /**
     * {@link #segment(String, Map, UnaryOperator)} for a segment with one input and one output.
     *
     * @param path the segment's module path
     * @param input the segment's input
     * @param body computes the output from the input
     * @return the body's output
     */
    default NDArray segment(String path, NDArray input, UnaryOperator<NDArray> body) {
        return segment(path, Map.of(SINGLE, input), in -> Map.of(SINGLE, body.apply(in.get(SINGLE)))).get(SINGLE);
    }

    /** The port name of a one-input, one-output segment. */
    String SINGLE = "x";

    /**
     * Inverted dropout of {@code input} at {@code rate} for the dropout layer at {@code path}, called
     * only when that layer is active. The default draws the mask from the engine's seeded generator
     * (libtorch's {@code dropout}).
     *
     * @param path the dropout layer's module path
     * @param input the values to drop from
     * @param rate probability of zeroing an element, in [0, 1)
     * @return a new array of {@code input}'s shape
     */
    default NDArray dropout(String path, NDArray input, float rate) {
        return ai.djl.nn.norm.Dropout.dropout(input, rate, true).singletonOrThrow();
    }

    /**
     * Receives an intermediate value a layer computed, for inspection (attention probabilities,
     * queries, keys). The default ignores it. A context that keeps the value must copy or keep
     * it before the pass's scope closes; it must not change it.
     *
     * @param path where the value was computed and what it is, e.g. {@code encoder/layer.0/attention/self/probs}
     * @param value the array as the layer uses it
     */
    default void observe(String path, NDArray value) {}

    /**
     * False while a checkpointed segment is recomputed for its backward pass: layers in training
     * mode then compute as before but must not update statistics kept across passes (BatchNorm's
     * running mean and variance), which the first pass already updated.
     *
     * @return true unless a segment is being recomputed
     */
    default boolean updatesRunningStatistics() {
        return true;
    }

    /**
     * Marks the output of one declared layer. A component calls it with the value each layer of its
     * {@link dev.floe.graph.Component#layerOrder() layer order} produces, in that order, and goes on
     * with the value returned, which holds the same numbers. Profilers use it to time layers and to
     * read the gradient that reaches each layer; the default returns {@code value} itself.
     *
     * @param value the layer's output
     * @return the value to continue with; holds the same numbers as {@code value}
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
     * @param input the activation's input; not changed
     * @param layerPath {@code <component>/<layer>}
     * @param function {@code "relu"} or {@code "gelu"}
     */
    default void activationInput(String layerPath, String function, NDArray input) {}

    /**
     * The rows of the batch that use the named PEFT module in this pass, when the pass routes modules
     * per row (a multi-tenant batch, see {@code dev.floe.peft.Routing}): a {@code (B)} float32 array
     * of 1 for rows that use it and 0 for rows that do not. Layers multiply the module's
     * contribution by it row by row. Null (the default) means the module applies to every row while
     * it is active.
     *
     * @param module the module's name
     * @return {@code (B)} float32 of 0 and 1, or null for every row
     */
    default NDArray routedRows(String module) {
        return null;
    }
}
