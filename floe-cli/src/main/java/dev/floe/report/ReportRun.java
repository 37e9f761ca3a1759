package dev.floe.report;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One run to put in a {@link Report}.
 *
 * @param variant the name of the variant the run belongs to; the runs of a variant differ only in
 *     their seed and are averaged together
 * @param axes axis name to this variant's value label, in axis order (for example
 *     {@code policy -> frozen_encoder}); empty for runs that are not part of a sweep. Comparisons pair
 *     runs whose other axes are equal and whose seeds are equal.
 * @param seed the run's seed
 * @param dir the run folder holding {@code manifest.json}; may be null only for a failed run
 * @param error null when the run finished, else the reason it failed (shown in the report)
 */
public record ReportRun(String variant, Map<String, String> axes, long seed, Path dir, String error) {

    /**
     * @throws IllegalArgumentException when the variant is blank, an axis name or value is null, or a
     *     finished run has no folder
     */
    public ReportRun {
        if (variant == null || variant.isBlank()) {
            throw new IllegalArgumentException("a report run needs a variant name, got " + (variant == null ? "none" : "'" + variant + "'"));
        }
        Map<String, String> copy = new LinkedHashMap<>();
        if (axes != null) {
            for (Map.Entry<String, String> e : axes.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("variant " + variant + " has an axis without a name or value: "
                            + axes);
                }
                copy.put(e.getKey(), e.getValue());
            }
        }
        axes = Collections.unmodifiableMap(copy);
        if (dir == null && error == null) {
            throw new IllegalArgumentException("run of variant " + variant + " (seed " + seed
                    + ") finished but has no run folder; give its folder, or its error if it failed");
        }
    }

    /** Whether the run failed (its error is set). */
    public boolean failed() {
        return error != null;
    }
}
