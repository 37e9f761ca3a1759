package dev.floe.nn;

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
}
