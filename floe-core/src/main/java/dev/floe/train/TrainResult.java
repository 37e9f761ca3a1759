package dev.floe.train;

import java.util.List;

/**
 * The outcome of {@link Trainer#fit} or {@link Trainer#run}.
 *
 * @param epochs per-epoch metrics of all stages in order
 * @param steps optimizer steps taken in the whole run (including those before a resume)
 * @param trainSeconds wall time spent in training batches over the whole run (before and after a
 *     resume: the sum of the stages' seconds), including filling a feature cache with the training
 *     set's prefix outputs (evaluation excluded)
 * @param finalEval evaluation of the weights the run ends with (the last stage's best epoch when it
 *     restored that epoch's weights, otherwise its last epoch), or null without an evaluation set
 * @param stages one result per stage
 */
public record TrainResult(
        List<EpochMetrics> epochs, long steps, double trainSeconds, EvalResult finalEval, List<StageResult> stages) {
    /**
     * Copies the lists.
     *
     * @param epochs per-epoch metrics of all stages in order
     * @param steps optimizer steps taken in the whole run (including those before a resume)
     * @param trainSeconds wall time spent in training batches over the whole run (before and after
     *     a resume: the sum of the stages' seconds), including filling a feature cache with the
     *     training set's prefix outputs (evaluation excluded)
     * @param finalEval evaluation of the weights the run ends with (the last stage's best epoch
     *     when it restored that epoch's weights, otherwise its last epoch), or null without an
     *     evaluation set
     * @param stages one result per stage
     */
    public TrainResult {
        epochs = List.copyOf(epochs);
        stages = List.copyOf(stages);
    }
}
