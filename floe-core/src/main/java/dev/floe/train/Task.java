package dev.floe.train;

import dev.floe.data.Dataset;
import dev.floe.data.Examples;

/**
 * One classification task of a run: its examples (which say what graph inputs they feed), the graph
 * output holding its logits, and its weight in the summed loss.
 *
 * @param name shown in metrics
 * @param output graph output name (logits)
 * @param train training examples
 * @param eval held-out examples, or null
 * @param weight factor of this task's mean cross-entropy in the total loss (> 0)
 */
public record Task(String name, String output, Examples train, Examples eval, double weight) {

    /**
     * Checks the name and that there is training data.
     *
     * @param name shown in metrics
     * @param output graph output name (logits)
     * @param train training examples
     * @param eval held-out examples, or null
     * @param weight factor of this task's mean cross-entropy in the total loss (> 0)
     * @throws IllegalArgumentException if the name is blank, the training data is missing or the
     *     weight is not positive
     */
    public Task {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a task needs a name");
        }
        if (train == null) {
            throw new IllegalArgumentException("task " + name + " needs training data");
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException(
                    "task " + name + ": loss weight is " + weight + "; it must be a positive number");
        }
    }

    /**
     * A task on numeric data sets feeding graph input {@code input}.
     *
     * @param input graph input name the data feeds
     * @param name shown in metrics
     * @param output graph output name (logits)
     * @param train training examples
     * @param eval held-out examples, or null
     * @param weight factor of this task's mean cross-entropy in the total loss (> 0)
     */
    public Task(String name, String input, String output, Dataset train, Dataset eval, double weight) {
        this(name, output, Examples.of(train, input), eval == null ? null : Examples.of(eval, input), weight);
    }
}
