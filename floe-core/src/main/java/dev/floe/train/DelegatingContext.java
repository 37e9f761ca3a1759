package dev.floe.train;

import ai.djl.ndarray.NDArray;
import dev.floe.nn.ForwardContext;

/**
 * A forward context that wraps another: training mode and dropout draws come from {@code base};
 * every other hook keeps {@link ForwardContext}'s default unless a subclass overrides it.
 */
abstract class DelegatingContext implements ForwardContext {

    /** The context whose training mode and dropout this one uses. */
    protected final ForwardContext base;

    DelegatingContext(ForwardContext base) {
        this.base = base;
    }

    @Override
    public boolean training(String modulePath) {
        return base.training(modulePath);
    }

    @Override
    public NDArray dropout(String path, NDArray input, float rate) {
        return base.dropout(path, input, rate);
    }
}
