package dev.floe.registry;

import dev.floe.config.ExperimentConfig;
import dev.floe.config.ExperimentData;
import dev.floe.run.Experiment;
import dev.floe.run.ExperimentResult;
import dev.floe.train.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Trains one experiment config once per registry version, each swapped into the same component
 * ({@code floe registry compare}): every training is the one {@code floe train CONFIG --swap
 * COMPONENT=REF} runs, and nothing is written.
 *
 * @param component the config's component the versions replaced
 * @param runs one per version, in the order given
 */
public record VersionComparison(String component, List<Run> runs) {

    /**
     * One version's training.
     *
     * @param ref the reference as given, e.g. {@code fmnist-encoder@prod}
     * @param version the version it resolved to
     * @param result what training the config with it gave
     */
    public record Run(String ref, ComponentVersion version, ExperimentResult result) {}

    /**
     * Copies the runs.
     *
     * @param component the config's component the versions replaced
     * @param runs one per version, in the order given
     */
    public VersionComparison {
        runs = List.copyOf(runs);
    }

    /**
     * Resolves every reference, loads the config's data once, and trains the config once per version.
     *
     * @return one run per version, in {@code refs} order
     * @param config the experiment config
     * @param baseDir the folder its relative paths start from
     * @param location the registry the versions are in
     * @param component the component to replace, or null for the first version's component name in its graph
     * @param refs the versions, e.g. {@code [fmnist-encoder@1, fmnist-encoder@prod]}
     * @throws IllegalArgumentException when a reference does not resolve (naming what exists)
     * @throws dev.floe.config.ConfigException naming {@code --swap COMPONENT=REF} when a version cannot
     *     replace the component, or the config key when the config cannot be built or its data read
     */
    public static VersionComparison run(ExperimentConfig config, Path baseDir, RegistryLocation location,
            String component, List<String> refs) {
        List<ComponentVersion> versions = new ArrayList<>();
        try (Registry r = Registry.open(location)) {
            for (String ref : refs) {
                versions.add(r.resolve(ref));
            }
        }
        String target = component != null ? component : versions.get(0).component();
        ExperimentData data = ExperimentData.load(config, baseDir);
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < refs.size(); i++) {
            try (RegistrySource source = new RegistrySource(location);
                    Experiment e = Experiment.build(config, baseDir, source, Map.of(target, refs.get(i)))) {
                e.check(data);
                runs.add(new Run(refs.get(i), versions.get(i), e.train(data, TrainingListener.NONE)));
            }
        }
        return new VersionComparison(target, runs);
    }
}
