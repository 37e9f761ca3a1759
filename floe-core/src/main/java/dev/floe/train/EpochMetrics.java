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
 * @param tasks per-task numbers (one entry for a single-task run); the fields above are those of
 *     the first task, except {@code trainLoss}, which is the weighted total that was minimised
 */
public record EpochMetrics(
        int epoch,
        double trainLoss,
        double trainAccuracy,
        double evalLoss,
        double evalAccuracy,
        double seconds,
        double examplesPerSecond,
        java.util.List<TaskMetrics> tasks) {

    /**
     * Copies the per-task metrics; null becomes empty.
     *
     * @param epoch 1-based
     * @param trainLoss mean cross-entropy over the epoch's training batches (weighted by batch
     *     size)
     * @param trainAccuracy fraction of training examples classified right during the epoch
     * @param evalLoss mean cross-entropy on the evaluation set, or NaN without one
     * @param evalAccuracy accuracy on the evaluation set, or NaN without one
     * @param seconds wall time of the training part of the epoch
     * @param examplesPerSecond training throughput
     * @param tasks per-task numbers (one entry for a single-task run); the fields above are those
     *     of the first task, except {@code trainLoss}, which is the weighted total that was
     *     minimised
     */
    public EpochMetrics {
        tasks = tasks == null ? java.util.List.of() : java.util.List.copyOf(tasks);
    }
}
