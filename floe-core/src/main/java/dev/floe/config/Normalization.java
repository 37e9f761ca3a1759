package dev.floe.config;

import dev.floe.data.Dataset;
import java.util.Arrays;
import java.util.Locale;

/**
 * A per-feature affine normalisation {@code x' = (x - shift) / scale}, fitted on the training split
 * only ({@code data.normalize}) and applied to the training and evaluation examples alike.
 *
 * <ul>
 *   <li>{@code standard}: shift = mean, scale = population standard deviation;
 *   <li>{@code minmax}: shift = minimum, scale = maximum - minimum (values of the training split
 *       fall in [0, 1]).
 * </ul>
 * A feature that is constant on the training split gets scale 1, so it becomes 0 and never NaN.
 *
 * @param method {@code standard} or {@code minmax}
 * @param shift per feature, in the data set's feature order
 * @param scale per feature, each &gt; 0
 */
public record Normalization(String method, float[] shift, float[] scale) {

    /** The methods {@code data.normalize} accepts. */
    public static final java.util.List<String> METHODS = java.util.List.of("standard", "minmax");

    /**
     * Checks the method and that there is one shift and one scale per feature.
     *
     * @param method {@code standard} or {@code minmax}
     * @param shift per feature, in the data set's feature order
     * @param scale per feature, each &gt; 0
     * @throws IllegalArgumentException if the method is unknown or the lengths differ
     */
    public Normalization {
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("normalize must be standard or minmax, found '" + method + "'");
        }
        if (shift.length != scale.length) {
            throw new IllegalArgumentException("normalisation has " + shift.length + " shifts but " + scale.length
                    + " scales; give one of each per feature");
        }
        shift = shift.clone();
        scale = scale.clone();
    }

    /**
     * Fits {@code method} on {@code train}: statistics per feature over all its examples.
     *
     * @param method {@code standard} or {@code minmax}
     * @param train the training data
     * @return the fitted normalisation
     * @throws IllegalArgumentException if the method is unknown or the set is empty
     */
    public static Normalization fit(String method, Dataset train) {
        int n = train.size();
        int f = train.featureCount();
        if (n == 0) {
            throw new IllegalArgumentException("cannot fit normalize: " + method + " on an empty training set");
        }
        float[] x = train.features(); // (n, f) row-major
        float[] shift = new float[f];
        float[] scale = new float[f];
        for (int j = 0; j < f; j++) {
            if (method.equals("standard")) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += x[i * f + j];
                }
                double mean = sum / n;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    double d = x[i * f + j] - mean;
                    sq += d * d;
                }
                double std = Math.sqrt(sq / n);
                shift[j] = (float) mean;
                scale[j] = std > 0 ? (float) std : 1f;
            } else {
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    min = Math.min(min, x[i * f + j]);
                    max = Math.max(max, x[i * f + j]);
                }
                shift[j] = min;
                scale[j] = max > min ? max - min : 1f;
            }
        }
        return new Normalization(method, shift, scale);
    }

    /**
     * {@code data} with every feature normalised; name, shape, labels and classes kept.
     *
     * @param data the data set to normalise
     * @return a new data set
     * @throws IllegalArgumentException if its feature count differs from this normalisation's
     */
    public Dataset apply(Dataset data) {
        int f = data.featureCount();
        if (f != shift.length) {
            throw new IllegalArgumentException("normalisation fitted on " + shift.length + " features cannot apply to "
                    + data.name() + " with " + f);
        }
        float[] x = data.features();
        for (int i = 0; i < x.length; i++) {
            int j = i % f;
            x[i] = (x[i] - shift[j]) / scale[j];
        }
        return Dataset.of(data.name() + " [normalize " + method + "]", data.featureShape(), x, data.labels(),
                data.numClasses());
    }

    /**
     * {@code {"method": ..., "shift": [...], "scale": [...]}}: enough to normalise new inputs the
     * same way.
     *
     * @return the JSON text
     */
    public String toJson() {
        return String.format(Locale.ROOT, "{%n  \"method\": \"%s\",%n  \"shift\": %s,%n  \"scale\": %s%n}%n", method,
                Arrays.toString(shift), Arrays.toString(scale));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && n.method.equals(method) && Arrays.equals(n.shift, shift)
                && Arrays.equals(n.scale, scale);
    }

    @Override
    public int hashCode() {
        return method.hashCode() * 31 + Arrays.hashCode(shift) * 17 + Arrays.hashCode(scale);
    }

    @Override
    public String toString() {
        return "Normalization[" + method + ", " + shift.length + " features]";
    }
}
