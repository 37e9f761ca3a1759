package dev.floe.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A variant's runs and their statistics over seeds; failed runs are listed but not averaged.
 *
 * @param name the variant's name
 * @param axes axis name to this variant's value
 * @param runs all its runs, finished and failed, in the order given
 * @param stats metric key to mean ± std over its finished runs; a number none of them recorded is absent
 * @param curves per stage (in order of first appearance) the mean ± std curves over its finished runs
 */
record Variant(String name, Map<String, String> axes, List<RunResult> runs, Map<String, Stat> stats,
        List<Curve> curves) {

    /**
     * One stage's curves over seeds.
     *
     * @param stage the stage's name
     * @param evalAccuracy per epoch, over the runs that evaluated that epoch (null: none did)
     * @param trainLoss per epoch, over the runs that ran that epoch
     */
    record Curve(String stage, List<Stat> evalAccuracy, List<Stat> trainLoss) {}

    /** Groups runs by variant name (in order of first appearance) and averages each group. */
    static List<Variant> of(List<RunResult> runs) {
        Map<String, List<RunResult>> byName = new LinkedHashMap<>();
        for (RunResult r : runs) {
            byName.computeIfAbsent(r.run().variant(), k -> new ArrayList<>()).add(r);
        }
        List<Variant> out = new ArrayList<>();
        byName.forEach((name, group) -> out.add(aggregate(name, group)));
        return out;
    }

    private static Variant aggregate(String name, List<RunResult> group) {
        List<RunResult> ok = group.stream().filter(r -> !r.failed()).toList();
        Map<String, List<Double>> values = new LinkedHashMap<>();
        for (RunResult r : ok) {
            r.values().forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        Map<String, Stat> stats = new LinkedHashMap<>();
        values.forEach((k, v) -> stats.put(k, Stat.of(v)));
        Map<String, List<List<Double>>> acc = new LinkedHashMap<>();
        Map<String, List<List<Double>>> loss = new LinkedHashMap<>();
        for (RunResult r : ok) {
            for (RunResult.StageCurve s : r.stages()) {
                collect(acc.computeIfAbsent(s.name(), k -> new ArrayList<>()), s.evalAccuracy());
                collect(loss.computeIfAbsent(s.name(), k -> new ArrayList<>()), s.trainLoss());
            }
        }
        List<Curve> curves = new ArrayList<>();
        acc.forEach((stage, perEpoch) -> curves.add(new Curve(stage, stats(perEpoch), stats(loss.get(stage)))));
        return new Variant(name, group.get(0).run().axes(), List.copyOf(group), Collections.unmodifiableMap(stats),
                List.copyOf(curves));
    }

    private static void collect(List<List<Double>> perEpoch, List<Double> values) {
        for (int i = 0; i < values.size(); i++) {
            while (perEpoch.size() <= i) {
                perEpoch.add(new ArrayList<>());
            }
            Double v = values.get(i);
            if (v != null && Double.isFinite(v)) {
                perEpoch.get(i).add(v);
            }
        }
    }

    private static List<Stat> stats(List<List<Double>> perEpoch) {
        List<Stat> out = new ArrayList<>();
        for (List<Double> v : perEpoch) {
            out.add(Stat.of(v));
        }
        return Collections.unmodifiableList(out);
    }

    /** Finished runs. */
    List<RunResult> finished() {
        return runs.stream().filter(r -> !r.failed()).toList();
    }

    /** Failed runs. */
    List<RunResult> failedRuns() {
        return runs.stream().filter(RunResult::failed).toList();
    }

    /** Whether no run of it finished. */
    boolean failed() {
        return finished().isEmpty();
    }

    /** The mean of {@code key} over its finished runs, or NaN when none recorded it. */
    double mean(String key) {
        Stat s = stats.get(key);
        return s == null ? Double.NaN : s.mean();
    }
}
