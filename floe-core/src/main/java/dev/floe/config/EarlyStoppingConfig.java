package dev.floe.config;

import dev.floe.schedule.EarlyStopping;

/**
 * The {@code early_stopping} key of a stage.
 *
 * @param metric {@code eval_accuracy} or {@code eval_loss}; default eval_accuracy
 * @param patience epochs without improvement before the stage ends, ≥ 1; default 2
 * @param minDelta {@code min_delta}: smallest improvement that counts, ≥ 0; default 0
 * @param restoreBest {@code restore_best}: put back the best epoch's weights at the end; default true
 */
public record EarlyStoppingConfig(String metric, Integer patience, Double minDelta, Boolean restoreBest) {

    /**
     * Fills in the defaults of absent keys and checks the values; a bad value throws an exception
     * naming its YAML key, what was expected and what was found.
     *
     * @param metric {@code eval_accuracy} or {@code eval_loss}; default eval_accuracy
     * @param patience epochs without improvement before the stage ends, ≥ 1; default 2
     * @param minDelta {@code min_delta}: smallest improvement that counts, ≥ 0; default 0
     * @param restoreBest {@code restore_best}: put back the best epoch's weights at the end;
     *     default true
     */
    public EarlyStoppingConfig {
        metric = metric == null ? EarlyStopping.EVAL_ACCURACY : metric;
        patience = patience == null ? 2 : patience;
        minDelta = minDelta == null ? 0.0 : minDelta;
        restoreBest = restoreBest == null || restoreBest;
        try {
            toEarlyStopping(metric, patience, minDelta, restoreBest);
        } catch (IllegalArgumentException e) {
            throw Fields.bad("early_stopping", e.getMessage());
        }
    }

    /**
     * As the trainer takes it.
     *
     * @return the early stopping settings
     */
    public EarlyStopping toEarlyStopping() {
        return toEarlyStopping(metric, patience, minDelta, restoreBest);
    }

    private static EarlyStopping toEarlyStopping(String metric, int patience, double minDelta, boolean restoreBest) {
        return new EarlyStopping(metric, patience, minDelta, restoreBest);
    }
}
