package dev.floe.bench;

import dev.floe.engine.ProcessStats;
import dev.floe.freeze.FreezePlan;
import dev.floe.optim.GroupedOptimizer;

/** Small helpers shared by the benches: memory records and number formatting for notes. */
final class Measured {

    /** Bytes of one fp32 scalar (weights and gradients). */
    static final long FP32_BYTES = Float.BYTES;

    private Measured() {}

    /** Floe's own byte counts for a plan and its optimizer, with the peak RSS since the bench started. */
    static BenchResult.Memory memory(FreezePlan plan, GroupedOptimizer optimizer) {
        return new BenchResult.Memory(
                plan.totalCount() * FP32_BYTES,
                plan.trainableCount() * FP32_BYTES,
                optimizer.stateBytes(),
                plan.trainableCount(),
                ProcessStats.peakRssMb());
    }

    /** Milliseconds with 3 significant decimals, for notes. */
    static String ms(double seconds) {
        return String.format(java.util.Locale.ROOT, "%.3f ms", seconds * 1e3);
    }

    /** A ratio with 3 decimals, for notes. */
    static String x(double ratio) {
        return String.format(java.util.Locale.ROOT, "%.3f", ratio);
    }
}
