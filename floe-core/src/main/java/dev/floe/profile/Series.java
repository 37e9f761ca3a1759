package dev.floe.profile;

import java.util.Arrays;

/**
 * Summary of one quantity measured once per profiled step.
 *
 * @param perStep the value at every step, in order (not copied; do not modify)
 * @param mean the mean over the steps
 * @param max the largest value
 * @param trend the least-squares slope per step (0 with fewer than two steps)
 */
public record Series(double[] perStep, double mean, double max, double trend) {

    /**
     * Summarises {@code values} (at least one).
     *
     * @param values the per-step values, at least one
     * @return the summary
     */
    public static Series of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("a series needs at least one step");
        }
        double mean = Arrays.stream(values).average().orElseThrow();
        double max = Arrays.stream(values).max().orElseThrow();
        return new Series(values.clone(), mean, max, slope(values));
    }

    /**
     * The change the trend amounts to over the whole run, relative to the mean:
     * {@code trend × (steps − 1) / mean}; 0 when the mean is 0. Near 0 means flat, 1 means the
     * values rose by about their mean over the run.
     *
     * @return the relative change
     */
    public double relativeTrend() {
        return mean == 0 ? 0 : trend * (perStep.length - 1) / mean;
    }

    private static double slope(double[] y) {
        int n = y.length;
        if (n < 2) {
            return 0;
        }
        double mx = (n - 1) / 2.0;
        double my = Arrays.stream(y).average().orElseThrow();
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (i - mx) * (y[i] - my);
            den += (i - mx) * (i - mx);
        }
        return num / den;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Series s && Arrays.equals(perStep, s.perStep);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(perStep);
    }

    @Override
    public String toString() {
        return "Series[mean=" + mean + ", max=" + max + ", trend=" + trend + ", steps=" + perStep.length + "]";
    }
}
