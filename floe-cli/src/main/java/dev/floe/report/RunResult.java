package dev.floe.report;

import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a report knows of one run: its numbers by {@link Metric} key and its learning curves.
 *
 * @param run the run as given
 * @param values metric key to value; a number the run did not record is absent
 * @param stages the learning curve of every stage, in stage order
 * @param error null for a finished run, else why it failed or could not be read
 */
record RunResult(ReportRun run, Map<String, Double> values, List<StageCurve> stages, String error) {

    RunResult {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        stages = List.copyOf(stages);
    }

    /**
     * One stage's curves.
     *
     * @param name the stage's name
     * @param evalAccuracy evaluation accuracy after every epoch (null entries: not evaluated)
     * @param trainLoss mean training loss of every epoch
     */
    record StageCurve(String name, List<Double> evalAccuracy, List<Double> trainLoss) {
        StageCurve {
            evalAccuracy = Collections.unmodifiableList(new ArrayList<>(evalAccuracy));
            trainLoss = Collections.unmodifiableList(new ArrayList<>(trainLoss));
        }
    }

    boolean failed() {
        return error != null;
    }

    /** The value of {@code key}, or NaN when the run did not record it. */
    double value(String key) {
        Double v = values.get(key);
        return v == null ? Double.NaN : v;
    }

    /** A run that failed: its own error, nothing measured. */
    static RunResult failed(ReportRun run, String error) {
        return new RunResult(run, Map.of(), List.of(), error);
    }

    /**
     * Reads a run's numbers from its folder's {@code manifest.json}. A run marked failed stays failed;
     * a folder that cannot be read or whose manifest has no outcome becomes a failed run saying so.
     */
    static RunResult read(ReportRun run) {
        if (run.failed()) {
            return failed(run, run.error());
        }
        RunManifest manifest;
        try {
            manifest = RunManifests.read(run.dir());
        } catch (RuntimeException e) {
            return failed(run, e.getMessage());
        }
        if (manifest.outcome() == null) {
            return failed(run, run.dir().resolve(RunManifests.FILE) + " has no outcome: the run did not finish");
        }
        return fromOutcome(run, manifest.outcome());
    }

    /**
     * The numbers of a finished run's outcome: final accuracy, loss and macro-F1 (when recorded), train
     * time, peak memory,
     * optimizer state, then every entry of {@code outcome.metrics} (an entry named like one of the
     * former replaces it).
     */
    static RunResult fromOutcome(ReportRun run, RunManifest.Outcome outcome) {
        Map<String, Double> values = new LinkedHashMap<>();
        if (outcome.finalEval() != null) {
            putIfFinite(values, Metric.ACCURACY, outcome.finalEval().accuracy());
            putIfFinite(values, Metric.LOSS, outcome.finalEval().loss());
            if (outcome.finalEval().f1Macro() != null) {
                putIfFinite(values, Metric.F1_MACRO, outcome.finalEval().f1Macro());
            }
        }
        putIfFinite(values, Metric.TRAIN_SECONDS, outcome.trainSeconds());
        if (outcome.peakRssMb() > 0) { // -1 where the platform does not report it
            values.put(Metric.PEAK_RSS_MB, outcome.peakRssMb());
        }
        values.put(Metric.OPTIMIZER_STATE_BYTES, (double) outcome.optimizerStateBytes());
        if (outcome.metrics() != null) {
            new TreeMap<>(outcome.metrics()).forEach((k, v) -> {
                if (v != null) {
                    putIfFinite(values, k, v);
                }
            });
        }
        List<StageCurve> stages = new ArrayList<>();
        if (outcome.stages() != null) {
            for (RunManifest.StageOutcome s : outcome.stages()) {
                stages.add(new StageCurve(s.name(),
                        s.evalAccuracyPerEpoch() == null ? List.of() : s.evalAccuracyPerEpoch(),
                        s.trainLossPerEpoch() == null ? List.of() : s.trainLossPerEpoch()));
            }
        }
        return new RunResult(run, values, stages, null);
    }

    /** A NaN or infinite number counts as not recorded. */
    private static void putIfFinite(Map<String, Double> values, String key, double v) {
        if (Double.isFinite(v)) {
            values.put(key, v);
        }
    }
}
