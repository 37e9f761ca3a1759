package dev.floe.report;

import java.util.List;

/**
 * Mean and sample standard deviation of some values.
 *
 * @param mean arithmetic mean
 * @param std sample standard deviation (n − 1 in the denominator), or NaN for fewer than two values
 * @param n how many values
 */
record Stat(double mean, double std, int n) {

    /** The statistics of {@code values}, or null when there are none. */
    static Stat of(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / values.size();
        if (values.size() < 2) {
            return new Stat(mean, Double.NaN, 1);
        }
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new Stat(mean, Math.sqrt(squares / (values.size() - 1)), values.size());
    }

    /** Whether the standard deviation is known (two or more values). */
    boolean hasStd() {
        return !Double.isNaN(std);
    }
}
