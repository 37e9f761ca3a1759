package dev.floe.train;

import java.util.Locale;

/**
 * Where the wall time of training steps went, summed over {@code steps} optimizer steps; measured
 * by a {@link Trainer} built with {@link Trainer.Builder#profilePhases(boolean) profilePhases(true)}.
 *
 * <p>The engine computes on the CPU synchronously, so a phase's time is the time of its native
 * work plus the Java and JNI calls that issue it. Every nanosecond between the start of a step
 * and its end lands in exactly one phase, so the phases add up to {@code totalSeconds}.
 *
 * @param steps optimizer steps measured (&ge; 0)
 * @param examples training examples of the first task in those steps
 * @param dataSeconds batch assembly: gathering the examples' features and labels and copying them
 *     into native arrays (or gathering cached prefix features)
 * @param forwardSeconds the graph's forward pass and the loss, recorded for autograd
 * @param backwardSeconds {@code backward} through the recorded graph
 * @param optimizerSeconds gradient clipping and the optimizer's update, including zeroing gradients
 * @param metricsSeconds counting correct predictions and reading loss and accuracy back to Java
 * @param otherSeconds the rest: opening and closing each batch's native scope and gradient
 *     collector, index bookkeeping, running sums, listener calls
 * @param totalSeconds wall time of the steps, the sum of the phases
 * @param nativeArrays native arrays created in the batches' scopes (inputs, activations, loss,
 *     metrics: each is the result of at least one call into libtorch); the optimizer's short-lived
 *     temporaries and calls that return no array are not counted
 */
public record StepPhases(
        long steps,
        long examples,
        double dataSeconds,
        double forwardSeconds,
        double backwardSeconds,
        double optimizerSeconds,
        double metricsSeconds,
        double otherSeconds,
        double totalSeconds,
        long nativeArrays) {

    /** No steps measured. */
    public static final StepPhases NONE = new StepPhases(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * Checks that the counts are not negative; the times are taken as given.
     *
     * @param steps optimizer steps measured, at least 0
     * @param examples training examples of the first task in those steps, at least 0
     * @param dataSeconds batch assembly time (see the class comment)
     * @param forwardSeconds forward pass and loss time
     * @param backwardSeconds backward pass time
     * @param optimizerSeconds clipping and optimizer update time
     * @param metricsSeconds time spent computing and reading back loss and accuracy
     * @param otherSeconds the rest of the steps' time
     * @param totalSeconds wall time of the steps, the sum of the phases
     * @param nativeArrays native arrays created in the batches' scopes, at least 0
     * @throws IllegalArgumentException naming the counts when {@code steps}, {@code examples} or
     *     {@code nativeArrays} is negative
     */
    public StepPhases {
        if (steps < 0 || examples < 0 || nativeArrays < 0) {
            throw new IllegalArgumentException("step phases: counts must be >= 0, found steps " + steps + ", examples "
                    + examples + ", native arrays " + nativeArrays);
        }
    }

    /**
     * The sum of this and {@code other}, phase by phase.
     *
     * @param other another measurement
     * @return a new value covering both
     */
    public StepPhases plus(StepPhases other) {
        return new StepPhases(steps + other.steps, examples + other.examples, dataSeconds + other.dataSeconds,
                forwardSeconds + other.forwardSeconds, backwardSeconds + other.backwardSeconds,
                optimizerSeconds + other.optimizerSeconds, metricsSeconds + other.metricsSeconds,
                otherSeconds + other.otherSeconds, totalSeconds + other.totalSeconds, nativeArrays + other.nativeArrays);
    }

    /**
     * Training examples per second over the measured steps: {@code examples / totalSeconds}.
     *
     * @return the throughput, or NaN when no time was measured ({@code totalSeconds} is 0)
     */
    public double examplesPerSecond() {
        return totalSeconds > 0 ? examples / totalSeconds : Double.NaN;
    }

    /**
     * One line: milliseconds per step of each phase and its share of the total, native arrays per step.
     *
     * @return e.g. {@code "per step 12.345 ms: data 0.210 (1.7%), forward 4.100 (33.2%), ..."}, or
     *     {@code "no steps measured"}
     */
    public String perStepLine() {
        if (steps == 0) {
            return "no steps measured";
        }
        double ms = 1e3 / steps;
        return String.format(Locale.ROOT,
                "per step %.3f ms: data %s, forward %s, backward %s, optimizer %s, metrics %s, other %s;"
                        + " %.1f native arrays per step",
                totalSeconds * ms, part(dataSeconds, ms), part(forwardSeconds, ms), part(backwardSeconds, ms),
                part(optimizerSeconds, ms), part(metricsSeconds, ms), part(otherSeconds, ms),
                (double) nativeArrays / steps);
    }

    private String part(double seconds, double ms) {
        return String.format(Locale.ROOT, "%.3f (%.1f%%)", seconds * ms,
                totalSeconds > 0 ? 100 * seconds / totalSeconds : 0.0);
    }
}
