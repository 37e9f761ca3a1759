package dev.floe.bench;

/**
 * Sizes and repetition counts of one {@code floe bench} run; a value, validated on creation.
 *
 * <p>Every bench times its arms interleaved (A, B, A, B, ...) after {@code warmup} untimed rounds,
 * {@code trials} timed rounds per arm, and reports medians.
 *
 * @param name {@code quick}, {@code full} or {@code tiny}, as written in the results
 * @param warmup untimed rounds per arm before timing (&ge; 0)
 * @param trials timed rounds per arm (&ge; 1); the median of them is reported
 * @param mlpSteps B6: optimizer steps per timed round (batch {@value #MLP_BATCH})
 * @param mlpHidden B6: width of the MLP's two hidden layers
 * @param transformerHidden B3: hidden width H of the transformer
 * @param transformerLayers B3: number of transformer layers
 * @param seqLength B3: tokens per example
 * @param loraSteps B3: optimizer steps per timed round (batch {@value #LORA_BATCH})
 * @param convBatches B1, B2, B4, B5: batches of {@value #CONV_BATCH} images per epoch
 * @param variantEpochs B5: epochs each head variant trains
 * @param torchPeer whether to run the PyTorch peer (skipped with a note when torch is missing)
 */
public record BenchSettings(
        String name,
        int warmup,
        int trials,
        int mlpSteps,
        long mlpHidden,
        long transformerHidden,
        int transformerLayers,
        int seqLength,
        int loraSteps,
        int convBatches,
        int variantEpochs,
        boolean torchPeer) {

    /** B6 batch size. */
    public static final int MLP_BATCH = 64;
    /** B3 batch size. */
    public static final int LORA_BATCH = 16;
    /** B1, B2, B4, B5 batch size. */
    public static final int CONV_BATCH = 64;
    /** B3: width of one attention head; the transformer has {@code hidden / HEAD_WIDTH} heads. */
    public static final int HEAD_WIDTH = 64;

    /**
     * Checks the name and that every count is in range.
     *
     * @param name {@code quick}, {@code full} or {@code tiny}, as written in the results
     * @param warmup untimed rounds per arm before timing (&ge; 0)
     * @param trials timed rounds per arm (&ge; 1); the median of them is reported
     * @param mlpSteps B6: optimizer steps per timed round (batch {@value #MLP_BATCH})
     * @param mlpHidden B6: width of the MLP's two hidden layers
     * @param transformerHidden B3: hidden width H of the transformer
     * @param transformerLayers B3: number of transformer layers
     * @param seqLength B3: tokens per example
     * @param loraSteps B3: optimizer steps per timed round (batch {@value #LORA_BATCH})
     * @param convBatches B1, B2, B4, B5: batches of {@value #CONV_BATCH} images per epoch
     * @param variantEpochs B5: epochs each head variant trains
     * @param torchPeer whether to run the PyTorch peer (skipped with a note when torch is missing)
     * @throws IllegalArgumentException naming the settings and the field out of range
     */
    public BenchSettings {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("bench settings need a name, e.g. quick or full");
        }
        atLeast(name, "warmup", warmup, 0);
        atLeast(name, "trials", trials, 1);
        atLeast(name, "mlpSteps", mlpSteps, 1);
        atLeast(name, "mlpHidden", mlpHidden, 1);
        atLeast(name, "transformerHidden", transformerHidden, HEAD_WIDTH);
        if (transformerHidden % HEAD_WIDTH != 0) {
            throw new IllegalArgumentException("bench settings " + name + ": transformerHidden " + transformerHidden
                    + " must be a multiple of " + HEAD_WIDTH + " (the width of one attention head)");
        }
        atLeast(name, "transformerLayers", transformerLayers, 1);
        atLeast(name, "seqLength", seqLength, 1);
        atLeast(name, "loraSteps", loraSteps, 1);
        atLeast(name, "convBatches", convBatches, 1);
        atLeast(name, "variantEpochs", variantEpochs, 1);
    }

    /**
     * The settings of {@code floe bench}: the sizes the brief names, enough trials for stable
     * medians (~5-8 min).
     *
     * @return the full settings
     */
    public static BenchSettings full() {
        return new BenchSettings("full", 2, 9, 40, 256, 256, 4, 64, 3, 8, 2, true);
    }

    /**
     * {@code floe bench --quick}: the same benches at smaller sizes and fewer trials (well under a
     * minute).
     *
     * @return the quick settings
     */
    public static BenchSettings quick() {
        return new BenchSettings("quick", 1, 3, 15, 256, 128, 2, 32, 2, 3, 1, true);
    }

    /**
     * Smallest settings that still run every code path; for tests, where timings mean nothing.
     *
     * @return the tiny settings
     */
    public static BenchSettings tiny() {
        return new BenchSettings("tiny", 0, 1, 2, 16, 64, 1, 8, 1, 1, 1, true);
    }

    /**
     * A copy without the PyTorch peer.
     *
     * @return a new settings record with the peer off
     */
    public BenchSettings withoutTorchPeer() {
        return new BenchSettings(name, warmup, trials, mlpSteps, mlpHidden, transformerHidden, transformerLayers,
                seqLength, loraSteps, convBatches, variantEpochs, false);
    }

    private static void atLeast(String name, String field, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(
                    "bench settings " + name + ": " + field + " must be at least " + min + ", found " + value);
        }
    }
}
