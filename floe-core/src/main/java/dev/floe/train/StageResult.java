package dev.floe.train;

import java.util.List;

/**
 * What one stage did.
 *
 * @param name the stage's name
 * @param epochs per-epoch metrics of this stage
 * @param bestMetric best value of the early-stopping metric (or of eval accuracy without early
 *     stopping; NaN without an evaluation set)
 * @param bestEpoch 1-based epoch within the stage where it was reached, or 0
 * @param stoppedEarly whether early stopping ended the stage before its budget
 * @param restoredBest whether the best epoch's weights were put back at the end
 * @param seconds training wall time of the stage
 * @param trainableParams trainable scalar parameters during the stage
 * @param steps optimizer steps in the stage
 */
public record StageResult(
        String name,
        List<EpochMetrics> epochs,
        double bestMetric,
        int bestEpoch,
        boolean stoppedEarly,
        boolean restoredBest,
        double seconds,
        long trainableParams,
        long steps) {

    /**
     * Copies the epochs.
     *
     * @param name the stage's name
     * @param epochs per-epoch metrics of this stage
     * @param bestMetric best value of the early-stopping metric (or of eval accuracy without early
     *     stopping; NaN without an evaluation set)
     * @param bestEpoch 1-based epoch within the stage where it was reached, or 0
     * @param stoppedEarly whether early stopping ended the stage before its budget
     * @param restoredBest whether the best epoch's weights were put back at the end
     * @param seconds training wall time of the stage
     * @param trainableParams trainable scalar parameters during the stage
     * @param steps optimizer steps in the stage
     */
    public StageResult {
        epochs = List.copyOf(epochs);
    }
}
