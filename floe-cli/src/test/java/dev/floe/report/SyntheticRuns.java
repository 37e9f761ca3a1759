package dev.floe.report;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.floe.io.AtomicFiles;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Run folders with hand-made manifests, so report tests need no training. */
public final class SyntheticRuns {

    /** A synthetic run's macro-F1 is its accuracy minus this. */
    public static final double MACRO_F1_GAP = 0.05;

    private SyntheticRuns() {}

    /** What a synthetic run gave. */
    public record Result(double accuracy, double loss, double trainSeconds, double peakRssMb, Map<String, Double> metrics,
            List<Double> evalAccuracyPerEpoch, List<Double> trainLossPerEpoch) {}

    public static Result result(double accuracy, double trainSeconds, double peakRssMb) {
        List<Double> acc = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        for (int e = 1; e <= 4; e++) {
            acc.add(accuracy * e / 4);
            loss.add(2.0 / e);
        }
        return new Result(accuracy, 1 - accuracy, trainSeconds, peakRssMb,
                Map.of("trainable_params", 1000.0, "total_params", 5000.0), acc, loss);
    }

    /**
     * Writes {@code dir/manifest.json} of a finished run made from the config file {@code configName}
     * with these settings and seed.
     */
    public static Path finishedRun(Path dir, String configName, double lr, long seed, Result r) throws IOException {
        Files.createDirectories(dir);
        RunManifest.Recipe recipe = recipe(configName, lr, seed);
        RunManifest.Outcome outcome = new RunManifest.Outcome("2026-01-01T00:00:10Z", Map.of(), null,
                List.of(new RunManifest.StageOutcome("train", r.evalAccuracyPerEpoch().size(), r.accuracy(), 4, false,
                        false, 40, r.trainSeconds(), r.evalAccuracyPerEpoch(), r.trainLossPerEpoch())),
                new RunManifest.FinalEval(r.loss(), r.accuracy(), 500, r.accuracy() - MACRO_F1_GAP, null, null, null), 40, r.trainSeconds(), r.trainSeconds() + 1,
                r.peakRssMb(), 4096, r.metrics());
        RunManifests.write(dir, manifest("train", recipe, outcome));
        return dir;
    }

    /** Writes the manifest of a run that started but has no outcome. */
    public static Path unfinishedRun(Path dir, String configName, long seed) throws IOException {
        Files.createDirectories(dir);
        RunManifests.write(dir, manifest("train", recipe(configName, 0.01, seed), null));
        return dir;
    }

    /** Writes a {@code floe demo} folder: its manifest and results.json with these configurations' accuracies. */
    public static Path demoFolder(Path dir, long seed, Map<String, Double> accuracies) throws IOException {
        Files.createDirectories(dir);
        ObjectNode settings = JsonNodeFactory.instance.objectNode().put("labels_per_class", 5).put("seed", seed);
        RunManifest.Recipe recipe = new RunManifest.Recipe(null, null, List.of(), List.of(), List.of(), seed,
                Map.of(), settings);
        RunManifest.Outcome outcome = new RunManifest.Outcome("2026-01-01T00:00:10Z", Map.of(), null, List.of(), null, 0,
                1.0, 2.0, 400, 0, Map.of());
        RunManifests.write(dir, manifest("demo images", recipe, outcome));
        StringBuilder json = new StringBuilder("[");
        accuracies.forEach((name, acc) -> json.append(json.length() > 1 ? "," : "")
                .append("{\"name\":\"").append(name).append("\",\"description\":\"d\",\"accuracy\":").append(acc)
                .append(",\"accuracy_std\":0.0,\"accuracy_per_draw\":[").append(acc)
                .append("],\"trainable_params\":165,\"train_seconds\":0.5,\"peak_rss_mb\":380.5,"
                        + "\"cache_seconds_saved\":null,\"labels_per_class\":5}"));
        AtomicFiles.writeString(dir.resolve(RunFolders.DEMO_RESULTS), json.append("]").toString());
        return dir;
    }

    private static RunManifest.Recipe recipe(String configName, double lr, long seed) {
        ObjectNode resolved = JsonNodeFactory.instance.objectNode().put("seed", seed);
        resolved.putObject("optimizer").put("type", "adamw").put("lr", lr);
        RunManifest.ConfigRecord config = new RunManifest.ConfigRecord("/configs/s" + seed + "/" + configName,
                "/configs/s" + seed, "seed: " + seed + "\n", "sha-" + seed, resolved);
        RunManifest.DataRecord data = new RunManifest.DataRecord("train", "train x.gz [20 per class, seed " + seed + "]",
                100, 5, "fingerprint-" + seed);
        return new RunManifest.Recipe(config, null, List.of(), List.of(data), List.of(), seed, Map.of(), null);
    }

    private static RunManifest manifest(String command, RunManifest.Recipe recipe, RunManifest.Outcome outcome) {
        return new RunManifest(RunManifests.FORMAT, "run-test-" + recipe.seed(), command, "2026-01-01T00:00:00Z", recipe,
                RunManifests.recipeSha256(recipe), Map.of("floe", "test"), null, outcome);
    }
}
