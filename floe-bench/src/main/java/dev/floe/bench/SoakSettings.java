package dev.floe.bench;

/**
 * Length and sampling of one S1 soak run ({@code floe bench --soak}); a value, validated on creation.
 *
 * @param name {@code full}, {@code quick} or {@code tiny}, as written in the results
 * @param steps optimizer steps in the whole run (&ge; 1)
 * @param sampleEvery steps between samples (&ge; 1, and {@code steps} must be a multiple of it)
 * @param baselineStep the sample growth is measured from: a multiple of {@code sampleEvery}, below
 *     {@code steps}; for a meaningful RSS verdict, late enough that the optimizer state, the native
 *     allocator's pools and the Java heap's first pass over its young generation are behind it
 */
public record SoakSettings(String name, int steps, int sampleEvery, int baselineStep) {

    /** Batch size of every soak step. */
    public static final int BATCH = 64;

    /**
     * Checks the name and that the steps are a positive multiple of the sampling interval.
     *
     * @param name {@code full}, {@code quick} or {@code tiny}, as written in the results
     * @param steps optimizer steps in the whole run (&ge; 1)
     * @param sampleEvery steps between samples (&ge; 1, and {@code steps} must be a multiple of it)
     * @param baselineStep the sample growth is measured from: a multiple of {@code sampleEvery},
     *     below {@code steps}; for a meaningful RSS verdict, late enough that the optimizer state,
     *     the native allocator's pools and the Java heap's first pass over its young generation are
     *     behind it
     * @throws IllegalArgumentException naming the settings and the field out of range
     */
    public SoakSettings {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("soak settings need a name, e.g. quick or full");
        }
        if (sampleEvery < 1 || steps < 1 || steps % sampleEvery != 0) {
            throw new IllegalArgumentException("soak settings " + name + ": steps " + steps
                    + " must be a positive multiple of sampleEvery " + sampleEvery);
        }
        if (baselineStep < sampleEvery || baselineStep >= steps || baselineStep % sampleEvery != 0) {
            throw new IllegalArgumentException("soak settings " + name + ": baselineStep " + baselineStep
                    + " must be a multiple of sampleEvery " + sampleEvery + " from " + sampleEvery + " to below steps "
                    + steps);
        }
    }

    /**
     * {@code floe bench --soak}: 10,000 steps, a sample every 500, growth measured from step 1,000.
     *
     * @return the full settings
     */
    public static SoakSettings full() {
        return new SoakSettings("full", 10_000, 500, 1_000);
    }

    /**
     * {@code floe bench --soak --quick}: 2,000 steps, a sample every 100, growth measured from step
     * 1,000 as in the full run. An earlier baseline would judge RSS while the Java heap is still
     * touching its first pages (batch copies fill the young generation for about 650 steps under the
     * launcher's 4 GiB heap), which looks like growth and is not a leak.
     *
     * @return the quick settings
     */
    public static SoakSettings quick() {
        return new SoakSettings("quick", 2_000, 100, 1_000);
    }

    /**
     * For tests: 120 steps, a sample every 20, growth measured from step 40. Enough to judge live
     * arrays; too short for the RSS verdict (see {@link #quick()}).
     *
     * @return the tiny settings
     */
    public static SoakSettings tiny() {
        return new SoakSettings("tiny", 120, 20, 40);
    }
}
