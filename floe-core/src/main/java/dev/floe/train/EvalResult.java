package dev.floe.train;

/**
 * Loss and accuracy on a data set.
 *
 * @param loss mean cross-entropy
 * @param accuracy fraction right, in [0, 1]
 * @param examples how many examples were scored
 */
public record EvalResult(double loss, double accuracy, int examples) {}
