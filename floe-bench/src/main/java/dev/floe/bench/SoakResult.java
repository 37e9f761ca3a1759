package dev.floe.bench;

import java.util.List;

/**
 * A soak's two series and whether they stayed flat.
 *
 * @param id {@code S1}
 * @param settings steps and sampling
 * @param model what trained
 * @param data what it trained on
 * @param trainableParams scalar count of trainable parameters
 * @param samples the first at step 0 (model and trainer built, nothing trained), then one per
 *     {@code sampleEvery} steps
 * @param arrayGrowth largest {@code liveArrays} of a sample after the baseline minus the baseline's
 * @param rssGrowthMb largest {@code rssMb} of a sample after the baseline minus the baseline's, MiB
 * @param arrayGrowthLimit the largest array growth that counts as flat
 * @param rssGrowthLimitMb the largest RSS growth that counts as flat, MiB
 * @param wallSeconds the whole soak, building included
 * @param trainSeconds the trainer's own training time
 */
public record SoakResult(
        String id,
        SoakSettings settings,
        String model,
        String data,
        long trainableParams,
        List<Sample> samples,
        int arrayGrowth,
        double rssGrowthMb,
        int arrayGrowthLimit,
        double rssGrowthLimitMb,
        double wallSeconds,
        double trainSeconds) {

    /**
     * One sample, taken between optimizer steps.
     *
     * @param step optimizer steps done
     * @param liveArrays native arrays alive in the whole engine
     * @param rssMb resident set of the process (VmRSS), MiB
     * @param heapUsedMb Java heap in use, MiB (garbage not yet collected included)
     * @param heapCommittedMb Java heap the JVM holds from the OS, MiB
     * @param directMb Java direct buffers not yet freed, MiB: batch inputs are made over direct buffers
     *     that are freed only when the garbage collector reclaims their owners
     * @param loss the trainer's running mean loss over the current epoch; NaN at step 0
     * @param seconds since the soak started
     */
    public record Sample(int step, int liveArrays, double rssMb, double heapUsedMb, double heapCommittedMb,
            double directMb, double loss, double seconds) {}

    /**
     * Copies the samples.
     *
     * @param id {@code S1}
     * @param settings steps and sampling
     * @param model what trained
     * @param data what it trained on
     * @param trainableParams scalar count of trainable parameters
     * @param samples the first at step 0 (model and trainer built, nothing trained), then one per
     *     {@code sampleEvery} steps
     * @param arrayGrowth largest {@code liveArrays} of a sample after the baseline minus the
     *     baseline's
     * @param rssGrowthMb largest {@code rssMb} of a sample after the baseline minus the baseline's,
     *     MiB
     * @param arrayGrowthLimit the largest array growth that counts as flat
     * @param rssGrowthLimitMb the largest RSS growth that counts as flat, MiB
     * @param wallSeconds the whole soak, building included
     * @param trainSeconds the trainer's own training time
     */
    public SoakResult {
        samples = List.copyOf(samples);
    }

    static SoakResult of(String id, SoakSettings settings, String model, String data, long trainableParams,
            List<Sample> samples, int arrayGrowthLimit, double rssGrowthLimitMb, double wallSeconds, double trainSeconds) {
        Sample base = samples.stream().filter(x -> x.step() == settings.baselineStep()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no sample at the baseline step " + settings.baselineStep()));
        int arrays = Integer.MIN_VALUE;
        double rss = Double.NEGATIVE_INFINITY;
        for (Sample x : samples) {
            if (x.step() > base.step()) {
                arrays = Math.max(arrays, x.liveArrays() - base.liveArrays());
                rss = Math.max(rss, x.rssMb() - base.rssMb());
            }
        }
        return new SoakResult(id, settings, model, data, trainableParams, samples, arrays, rss, arrayGrowthLimit,
                rssGrowthLimitMb, wallSeconds, trainSeconds);
    }

    /**
     * Whether the live-array series stayed within its limit after the baseline.
     *
     * @return true when the live arrays stayed flat
     */
    public boolean arraysFlat() {
        return arrayGrowth <= arrayGrowthLimit;
    }

    /**
     * Whether the RSS series stayed within its limit after the baseline (false when RSS is
     * unknown).
     *
     * @return true when the RSS stayed flat
     */
    public boolean rssFlat() {
        return samples.get(0).rssMb() >= 0 && rssGrowthMb <= rssGrowthLimitMb;
    }

    /**
     * The baseline sample.
     *
     * @return the baseline sample
     */
    public Sample baseline() {
        return samples.stream().filter(x -> x.step() == settings.baselineStep()).findFirst().orElseThrow();
    }

    /**
     * The last sample.
     *
     * @return the last sample
     */
    public Sample last() {
        return samples.get(samples.size() - 1);
    }
}
