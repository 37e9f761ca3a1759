package dev.floe.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Counts of (true class, predicted class) over a data set, with the per-class precision, recall and
 * F1 and their macro average derived from them.
 *
 * <p>Row {@code t}, column {@code p} counts the examples of class {@code t} the model put in class
 * {@code p}; the diagonal holds the right ones. A class the data never shows and the model never
 * predicts has precision, recall and F1 of NaN and is left out of the macro average; otherwise a
 * zero denominator gives 0 (a class never predicted has precision 0, recall as counted).
 *
 * @param counts square, one row and one column per class, all counts ≥ 0 (copied)
 * @param labels the class names, label {@code k} is {@code labels.get(k)}; null for numeric classes
 */
public record ConfusionMatrix(long[][] counts, List<String> labels) {

    /**
     * Copies the counts and checks that they form a square matrix of at least one class.
     *
     * @param counts square, one row and one column per class, all counts ≥ 0 (copied)
     * @param labels the class names, label {@code k} is {@code labels.get(k)}; null for numeric
     *     classes
     * @throws IllegalArgumentException if the matrix is empty or not square, or the names do not
     *     fit
     */
    public ConfusionMatrix {
        if (counts == null || counts.length == 0) {
            throw new IllegalArgumentException("a confusion matrix needs at least one class");
        }
        long[][] copy = new long[counts.length][];
        for (int t = 0; t < counts.length; t++) {
            if (counts[t].length != counts.length) {
                throw new IllegalArgumentException("confusion matrix row " + t + " has " + counts[t].length
                        + " columns; expected " + counts.length + " (one per class)");
            }
            for (long c : counts[t]) {
                if (c < 0) {
                    throw new IllegalArgumentException("confusion matrix row " + t + " holds the negative count " + c);
                }
            }
            copy[t] = counts[t].clone();
        }
        counts = copy;
        if (labels != null && labels.size() != counts.length) {
            throw new IllegalArgumentException(labels.size() + " class names " + labels + " for a confusion matrix of "
                    + counts.length + " classes; give one name per class");
        }
        labels = labels == null ? null : List.copyOf(labels);
    }

    /**
     * An all-zero matrix of {@code classes} classes without names.
     *
     * @param classes the number of classes, at least 1
     * @return a new matrix
     */
    public static ConfusionMatrix empty(int classes) {
        return new ConfusionMatrix(new long[classes][classes], null);
    }

    /**
     * The same counts with class names (one per class).
     *
     * @param names one name per class, in label order
     * @return a new matrix
     */
    public ConfusionMatrix withLabels(List<String> names) {
        return new ConfusionMatrix(counts, names);
    }

    /**
     * The counts (a copy).
     *
     * @return a new array, {@code [true class][predicted class]}
     */
    @Override
    public long[][] counts() {
        long[][] copy = new long[counts.length][];
        for (int t = 0; t < counts.length; t++) {
            copy[t] = counts[t].clone();
        }
        return copy;
    }

    /**
     * Number of classes.
     *
     * @return the number of classes
     */
    public int classes() {
        return counts.length;
    }

    /**
     * Examples of class {@code trueClass} predicted as {@code predicted}.
     *
     * @param trueClass the true class index
     * @param predicted the predicted class index
     * @return the count
     */
    public long count(int trueClass, int predicted) {
        return counts[trueClass][predicted];
    }

    /**
     * The name of class {@code k}: its label when there are names, else the index.
     *
     * @param k the class index
     * @return the name
     */
    public String name(int k) {
        return labels == null ? Integer.toString(k) : labels.get(k);
    }

    /**
     * Examples of class {@code k} in the data (row sum).
     *
     * @param k the class index
     * @return the count
     */
    public long support(int k) {
        long s = 0;
        for (long c : counts[k]) {
            s += c;
        }
        return s;
    }

    /**
     * Examples predicted as class {@code k} (column sum).
     *
     * @param k the class index
     * @return the count
     */
    public long predicted(int k) {
        long s = 0;
        for (long[] row : counts) {
            s += row[k];
        }
        return s;
    }

    /**
     * Precision, recall, F1 and support of every class, in label order.
     *
     * @return the metrics, one per class
     */
    public List<ClassMetrics> perClass() {
        List<ClassMetrics> out = new ArrayList<>();
        for (int k = 0; k < counts.length; k++) {
            long tp = counts[k][k];
            long support = support(k);
            long predicted = predicted(k);
            if (support == 0 && predicted == 0) {
                out.add(new ClassMetrics(name(k), Double.NaN, Double.NaN, Double.NaN, 0));
                continue;
            }
            double precision = predicted == 0 ? 0 : (double) tp / predicted;
            double recall = support == 0 ? 0 : (double) tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            out.add(new ClassMetrics(name(k), precision, recall, f1, support));
        }
        return out;
    }

    /**
     * The unweighted mean of the per-class F1 over the classes that occur (in the data or in the
     * predictions); NaN when no example was counted.
     *
     * @return the macro-averaged F1, in [0, 1] or NaN
     */
    public double macroF1() {
        double sum = 0;
        int n = 0;
        for (ClassMetrics m : perClass()) {
            if (!Double.isNaN(m.f1())) {
                sum += m.f1();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Examples counted.
     *
     * @return the count
     */
    public long total() {
        long s = 0;
        for (int k = 0; k < counts.length; k++) {
            s += support(k);
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfusionMatrix m && Arrays.deepEquals(counts, m.counts)
                && java.util.Objects.equals(labels, m.labels);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.deepHashCode(counts) + java.util.Objects.hashCode(labels);
    }

    @Override
    public String toString() {
        return "ConfusionMatrix" + Arrays.deepToString(counts) + (labels == null ? "" : " " + labels);
    }

    /**
     * One class's scores.
     *
     * @param name the class name, or its index as text
     * @param precision right among those predicted as the class, in [0, 1]; NaN when the class neither occurs nor is predicted
     * @param recall found among the class's examples, in [0, 1]; NaN likewise
     * @param f1 harmonic mean of precision and recall; NaN likewise
     * @param support examples of the class in the data
     */
    public record ClassMetrics(String name, double precision, double recall, double f1, long support) {}
}
