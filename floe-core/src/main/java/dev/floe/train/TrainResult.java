package dev.floe.train;

import java.util.List;

/**
 * The outcome of {@link Trainer#fit}.
 *
 * @param epochs per-epoch metrics in order
 * @param steps optimizer steps taken
 * @param trainSeconds wall time spent in training batches (evaluation excluded)
 * @param finalEval evaluation after the last epoch, or null without an evaluation set
 */
public record TrainResult(List<EpochMetrics> epochs, long steps, double trainSeconds, EvalResult finalEval) {
    public TrainResult {
        epochs = List.copyOf(epochs);
    }
}
