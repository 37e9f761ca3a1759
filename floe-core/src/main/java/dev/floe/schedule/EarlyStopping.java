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

    /** True when higher values of the metric are better. */
    public boolean higherIsBetter() {
        return EVAL_ACCURACY.equals(metric);
    }

    /** The watched metric's value among an epoch's evaluation accuracy and loss. */
    public double read(double evalAccuracy, double evalLoss) {
        return higherIsBetter() ? evalAccuracy : evalLoss;
    }

    /** Whether {@code candidate} improves on {@code best} by more than {@code minDelta}. */
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
