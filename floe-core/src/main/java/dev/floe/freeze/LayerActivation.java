package dev.floe.freeze;

/**
 * What one segment of a graph (a component, {@code encoder}, or one of its layers,
 * {@code encoder/layer.3}) keeps for the backward pass of one training batch, for
 * {@link FreezePlan#explainLayers(OptimizerSpec, java.util.Set, java.util.Map)}.
 *
 * @param checkpointed whether gradient checkpointing recomputes this segment in the backward pass
 * @param bytes what it keeps without checkpointing; for a component, including its layers
 * @param keptBytes what it keeps with the configured checkpointing; for a component, including its layers
 */
public record LayerActivation(boolean checkpointed, long bytes, long keptBytes) {

    /**
     * Checks that the byte counts are not negative.
     *
     * @param checkpointed whether gradient checkpointing recomputes this segment in the backward
     *     pass
     * @param bytes what it keeps without checkpointing; for a component, including its layers
     * @param keptBytes what it keeps with the configured checkpointing; for a component, including
     *     its layers
     * @throws IllegalArgumentException if a byte count is negative
     */
    public LayerActivation {
        if (bytes < 0 || keptBytes < 0) {
            throw new IllegalArgumentException("activation bytes must be >= 0, got " + bytes + " and " + keptBytes);
        }
    }
}
