package dev.floe.nn;

import ai.djl.ndarray.NDArray;

/**
 * An additive term on a {@link Linear} layer's output: a LoRA update {@code s·(x Aᵀ) Bᵀ} computed
 * from the input, or a serial bottleneck adapter {@code up(act(down(y)))} computed from the output.
 * Deltas are keyed by name so that several can be attached to one layer and switched without
 * reloading anything.
 */
public interface LinearDelta {

    /**
     * The LoRA module or adapter name.
     *
     * @return the name
     */
    String name();

    /**
     * Whether {@link Linear#forward} adds this delta now.
     *
     * @return true when the delta is applied
     */
    boolean active();

    /**
     * The term to add.
     *
     * @param context training mode per module (for dropout inside the delta)
     * @param input the layer's input {@code (..., in)}
     * @param output the layer's output so far {@code (..., out)}: base output plus earlier deltas
     * @return {@code (..., out)}
     */
    NDArray apply(ForwardContext context, NDArray input, NDArray output);
}
