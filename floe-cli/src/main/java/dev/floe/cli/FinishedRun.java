package dev.floe.cli;

import dev.floe.config.ConfigException;
import dev.floe.config.ExperimentConfig;
import dev.floe.io.ModelWeights;
import dev.floe.run.Experiment;
import dev.floe.run.RunManifest;
import dev.floe.run.RunManifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The trained model of a finished {@code floe train} run folder: its manifest's config rebuilt (relative
 * paths from the config's original folder) with the run's {@code weights.safetensors} loaded.
 *
 * @param experiment the rebuilt experiment; close it
 * @param config the run's config
 * @param base the folder the config's relative paths start from
 */
record FinishedRun(Experiment experiment, ExperimentConfig config, Path base) implements AutoCloseable {

    static final String WEIGHTS = "weights.safetensors";

    /**
     * @param command the command asking, for messages ({@code attribute})
     * @throws IllegalArgumentException when the folder has no manifest, was not made from a config, or
     *     has no weights (the run did not finish)
     * @throws ConfigException when the config no longer builds (naming the key)
     */
    static FinishedRun open(Path run, String command) throws IOException {
        RunManifest manifest = RunManifests.read(run);
        RunManifest.ConfigRecord c = manifest.recipe().config();
        if (c == null) {
            throw new IllegalArgumentException("run " + run + " was made by floe " + manifest.command()
                    + ", not from a config; floe " + command + " explains runs of floe train");
        }
        Path weights = run.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(run + " has no " + WEIGHTS + "; the run did not finish — give a finished"
                    + " run folder");
        }
        ExperimentConfig cfg = ExperimentConfig.parse(c.text().getBytes(StandardCharsets.UTF_8), c.source());
        Path base = Path.of(c.baseDir());
        Experiment experiment;
        try {
            experiment = Experiment.build(cfg, base);
        } catch (ConfigException e) {
            throw e.withSource("the config of run " + run);
        }
        try {
            ModelWeights.load(experiment.graph(), weights);
        } catch (RuntimeException | IOException e) {
            experiment.close();
            throw e;
        }
        return new FinishedRun(experiment, cfg, base);
    }

    @Override
    public void close() {
        experiment.close();
    }
}
