package dev.floe.train;

/**
 * One task's numbers for one epoch of a multi-task run.
 *
 * @param task the task's name
 * @param trainLoss mean cross-entropy over the epoch's batches of this task
 * @param trainAccuracy fraction right during the epoch
 * @param evalLoss on the task's evaluation set, or NaN
 * @param evalAccuracy on the task's evaluation set, or NaN
 */
public record TaskMetrics(String task, double trainLoss, double trainAccuracy, double evalLoss, double evalAccuracy) {}
