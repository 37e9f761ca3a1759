package dev.floe.train;

/**
 * What one epoch measured.
 *
 * @param epoch 1-based
 * @param trainLoss mean cross-entropy over the epoch's training batches (weighted by batch size)
 * @param trainAccuracy fraction of training examples classified right during the epoch
 * @param evalLoss mean cross-entropy on the evaluation set, or NaN without one
 * @param evalAccuracy accuracy on the evaluation set, or NaN without one
 * @param seconds wall time of the training part of the epoch
 * @param examplesPerSecond training throughput
 */
public record EpochMetrics(
        int epoch,
        double trainLoss,
        double trainAccuracy,
        double evalLoss,
        double evalAccuracy,
        double seconds,
        double examplesPerSecond) {}
