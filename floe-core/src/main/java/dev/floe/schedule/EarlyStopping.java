package dev.floe.schedule;

import java.util.Locale;

/**
 * Stops a stage when a validation metric stops improving.
 *
 * @param metric what is watched: {@code eval_accuracy} (higher is better) or {@code eval_loss}
 *     (lower is better)
 * @param patience epochs without an improvement of at least {@code minDelta} before the stage ends
 * @param minDelta smallest change that counts as an improvement (≥ 0)
 * @param restoreBest whether the weights of the best epoch are put back when the stage ends
 */
public record EarlyStopping(String metric, int patience, double minDelta, boolean restoreBest) {

    /** Accuracy on the evaluation set; higher is better. */
    public static final String EVAL_ACCURACY = "eval_accuracy";
    /** Mean cross-entropy on the evaluation set; lower is better. */
    public static final String EVAL_LOSS = "eval_loss";

    /**
     * Checks the settings.
     *
     * @param metric what is watched: {@code eval_accuracy} (higher is better) or {@code eval_loss}
     *     (lower is better)
     * @param patience epochs without an improvement of at least {@code minDelta} before the stage
     *     ends
     * @param minDelta smallest change that counts as an improvement (≥ 0)
     * @param restoreBest whether the weights of the best epoch are put back when the stage ends
     * @throws IllegalArgumentException if {@code metric} is neither {@value #EVAL_ACCURACY} nor
     *     {@value #EVAL_LOSS}, {@code patience} is below 1, or {@code minDelta} is negative or not
     *     finite
     */
    public EarlyStopping {
        if (!EVAL_ACCURACY.equals(metric) && !EVAL_LOSS.equals(metric)) {
            throw new IllegalArgumentException(
                    "early_stopping.metric is '" + metric + "'; expected one of " + EVAL_ACCURACY + ", " + EVAL_LOSS);
        }
        if (patience < 1) {
            throw new IllegalArgumentException(
                    "early_stopping.patience is " + patience + "; it must be at least 1 epoch");
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException(
                    "early_stopping.min_delta is " + minDelta + "; it must be a finite number ≥ 0");
        }
    }

    /**
     * True when higher values of the metric are better.
     *
     * @return true for {@value #EVAL_ACCURACY}, false for {@value #EVAL_LOSS}
     */
    public boolean higherIsBetter() {
        return EVAL_ACCURACY.equals(metric);
    }

    /**
     * The watched metric's value among an epoch's evaluation accuracy and loss.
     *
     * @param evalAccuracy the epoch's evaluation accuracy, in [0, 1]
     * @param evalLoss the epoch's mean evaluation loss
     * @return {@code evalAccuracy} or {@code evalLoss}, whichever {@link #metric()} names
     */
    public double read(double evalAccuracy, double evalLoss) {
        return higherIsBetter() ? evalAccuracy : evalLoss;
    }

    /**
     * Whether {@code candidate} improves on {@code best} by more than {@code minDelta}.
     *
     * @param candidate this epoch's metric value
     * @param best the best value so far
     * @return true when {@code candidate} is better than {@code best} by more than
     *     {@link #minDelta()}, in the direction of {@link #higherIsBetter()}
     */
    public boolean improves(double candidate, double best) {
        if (Double.isNaN(best)) {
            return !Double.isNaN(candidate);
        }
        return higherIsBetter() ? candidate > best + minDelta : candidate < best - minDelta;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s patience=%d min_delta=%g%s", metric, patience, minDelta,
                restoreBest ? " restore_best" : "");
    }
}
