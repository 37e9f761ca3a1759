package dev.floe.train;

/**
 * Loss, accuracy and the confusion matrix on a data set.
 *
 * @param loss mean cross-entropy (unweighted, whatever class weights training used)
 * @param accuracy fraction right, in [0, 1]
 * @param examples how many examples were scored
 * @param confusion counts of (true class, predicted class), with per-class precision, recall and F1;
 *     null when not recorded (results read back from before it was recorded)
 */
public record EvalResult(double loss, double accuracy, int examples, ConfusionMatrix confusion) {

    /**
     * A result without a confusion matrix.
     *
     * @param loss mean cross-entropy (unweighted, whatever class weights training used)
     * @param accuracy fraction right, in [0, 1]
     * @param examples how many examples were scored
     */
    public EvalResult(double loss, double accuracy, int examples) {
        this(loss, accuracy, examples, null);
    }

    /**
     * The macro-averaged F1 (see {@link ConfusionMatrix#macroF1()}), or NaN without a confusion
     * matrix.
     *
     * @return the macro-F1
     */
    public double macroF1() {
        return confusion == null ? Double.NaN : confusion.macroF1();
    }

    /**
     * The same numbers with class names on the confusion matrix (no change without one).
     *
     * @param labels one name per class
     * @return a new result
     */
    public EvalResult withLabels(java.util.List<String> labels) {
        return confusion == null || labels == null ? this
                : new EvalResult(loss, accuracy, examples, confusion.withLabels(labels));
    }
}
