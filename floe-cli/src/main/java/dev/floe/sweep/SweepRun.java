package dev.floe.sweep;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run of a sweep as recorded in {@code sweep-state.json} and {@code sweep.json}.
 *
 * @param id {@code <variant>-s<seed>}
 * @param variant the variant's name
 * @param axes axis to the name of the value this run takes
 * @param seed the run's seed
 * @param dir the run folder
 * @param status {@value #PENDING}, {@value #FINISHED} (this time), {@value #SKIPPED} (finished by an
 *     earlier invocation) or {@value #FAILED}
 * @param error why it failed, or null
 * @param seconds wall time of its worker in this invocation, 0 when it did not run
 */
public record SweepRun(String id, String variant, Map<String, String> axes, long seed, Path dir, String status,
        String error, double seconds) {

    /** Status of a run not started yet. */
    public static final String PENDING = "pending";
    /** Status of a run that finished in this invocation. */
    public static final String FINISHED = "finished";
    /** Status of a run an earlier invocation finished. */
    public static final String SKIPPED = "skipped";
    /** Status of a run whose worker failed. */
    public static final String FAILED = "failed";

    /**
     * Copies the axes.
     *
     * @param id {@code <variant>-s<seed>}
     * @param variant the variant's name
     * @param axes axis to the name of the value this run takes
     * @param seed the run's seed
     * @param dir the run folder
     * @param status {@value #PENDING}, {@value #FINISHED} (this time), {@value #SKIPPED} (finished
     *     by an earlier invocation) or {@value #FAILED}
     * @param error why it failed, or null
     * @param seconds wall time of its worker in this invocation, 0 when it did not run
     */
    public SweepRun {
        axes = Collections.unmodifiableMap(new LinkedHashMap<>(axes));
    }

    /**
     * Whether the run folder holds a finished run.
     *
     * @return true when finished
     */
    public boolean done() {
        return FINISHED.equals(status) || SKIPPED.equals(status);
    }

    SweepRun with(String newStatus, String newError, double newSeconds) {
        return new SweepRun(id, variant, axes, seed, dir, newStatus, newError, newSeconds);
    }
}
