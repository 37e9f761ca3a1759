package dev.floe.cli;

import dev.floe.run.Experiment;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --swap COMPONENT=NAME@VERSION} for the commands that build a config's graph ({@code floe
 * train}, {@code floe plan}): the component is replaced by the registry version before the graph is
 * built, as {@link Experiment#build(dev.floe.config.ExperimentConfig, java.nio.file.Path,
 * dev.floe.config.ComponentSource, Map)} does it.
 */
final class SwapOptions {

    @Option(names = "--swap", paramLabel = "COMPONENT=NAME@VERSION",
            description = "replace a component of the config by a registry version (type, sizes and weights)"
                    + " before the graph is built, e.g. --swap encoder=fmnist-encoder@4; its ports must match; repeatable")
    Map<String, String> swaps = new LinkedHashMap<>();

    /** One line per swapped component: {@code swap    encoder ← fmnist-encoder@2 (weights sha256:…)}. */
    static String lines(Experiment experiment) {
        StringBuilder sb = new StringBuilder();
        for (Experiment.Sourced s : experiment.sourced()) {
            if (s.key().startsWith("--swap ")) {
                sb.append(String.format(Locale.ROOT, "swap    %s ← %s@%d (weights %s)%n", s.component(),
                        s.resolved().registryName(), s.resolved().version(), s.resolved().weightsHash()));
            }
        }
        return sb.toString();
    }
}
