package dev.floe.cli;

import dev.floe.train.ConfusionMatrix;
import dev.floe.train.EvalResult;
import java.util.Locale;

/** Evaluation results as text for the terminal: the macro-F1 line, per-class scores, the confusion matrix. */
final class EvalText {

    /** Confusion matrices of more classes than this are left to the JSON files. */
    static final int MAX_MATRIX_CLASSES = 10;

    private EvalText() {}

    /** {@code macro-F1 0.912 over 2 classes}, or an empty string without a confusion matrix. */
    static String macroF1Line(EvalResult r) {
        ConfusionMatrix m = r.confusion();
        if (m == null) {
            return "";
        }
        return String.format(Locale.ROOT, "macro-F1 %.4f over %d classes%n", m.macroF1(), m.classes());
    }

    /**
     * The confusion matrix (rows: true class, columns: predicted) for at most
     * {@value #MAX_MATRIX_CLASSES} classes, else one line saying where it is.
     */
    static String matrix(ConfusionMatrix m, String whereElse) {
        if (m.classes() > MAX_MATRIX_CLASSES) {
            return String.format(Locale.ROOT, "confusion matrix of %d classes: see %s%n", m.classes(), whereElse);
        }
        int width = 5;
        int nameWidth = 4;
        for (int k = 0; k < m.classes(); k++) {
            width = Math.max(width, m.name(k).length());
            nameWidth = Math.max(nameWidth, m.name(k).length());
            width = Math.max(width, Long.toString(m.support(k)).length());
        }
        StringBuilder sb = new StringBuilder("confusion (rows: true class, columns: predicted)\n");
        sb.append(" ".repeat(nameWidth + 2));
        for (int p = 0; p < m.classes(); p++) {
            sb.append(String.format(Locale.ROOT, " %" + width + "s", m.name(p)));
        }
        sb.append('\n');
        for (int t = 0; t < m.classes(); t++) {
            sb.append(String.format(Locale.ROOT, "  %-" + nameWidth + "s", m.name(t)));
            for (int p = 0; p < m.classes(); p++) {
                sb.append(String.format(Locale.ROOT, " %" + width + "d", m.count(t, p)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** One line per class: precision, recall, F1 and support. */
    static String perClass(ConfusionMatrix m) {
        int nameWidth = 5;
        for (int k = 0; k < m.classes(); k++) {
            nameWidth = Math.max(nameWidth, m.name(k).length());
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-" + nameWidth + "s %9s %9s %9s %9s%n",
                "class", "precision", "recall", "f1", "support"));
        for (ConfusionMatrix.ClassMetrics c : m.perClass()) {
            sb.append(String.format(Locale.ROOT, "  %-" + nameWidth + "s %9s %9s %9s %9d%n", c.name(),
                    score(c.precision()), score(c.recall()), score(c.f1()), c.support()));
        }
        return sb.toString();
    }

    private static String score(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }
}
