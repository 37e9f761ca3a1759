package dev.floe.cli;

import dev.floe.registry.RegistryLocation;
import dev.floe.registry.RegistrySource;
import dev.floe.run.TrainedRun;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --registry} and {@code --blobs} for commands that build configs or reopen runs, where
 * {@code from: "registry:NAME@TAG"} components are resolved. The registry is only opened when a
 * config names one.
 */
final class RegistryCommandOptions {

    @Option(names = "--registry", paramLabel = "DIR|URL",
            description = "registry for from: \"registry:NAME@TAG\" components: a folder, or"
                    + " jdbc:postgresql://HOST:PORT/DB; default FLOE_REGISTRY, else ~/.floe/registry")
    String registry;

    @Option(names = "--blobs", paramLabel = "DIR",
            description = "blob folder of a PostgreSQL registry; default FLOE_REGISTRY_BLOBS")
    Path blobs;

    /**
     * The source resolving {@code from: "registry:..."} entries; close it after building.
     *
     * @throws IllegalArgumentException when the location is malformed (naming it and the fix)
     */
    RegistrySource source() {
        return new RegistrySource(RegistryLocation.resolve(registry, blobs, System.getenv()));
    }

    /**
     * Opens a finished run, its {@code from: "registry:..."} components (and {@code --swap}s)
     * resolved in this registry at the versions its manifest records, their blobs checked against
     * the recorded SHA-256 ({@link TrainedRun#open(Path, dev.floe.config.ComponentSource)}). The
     * registry is opened only when the run names one, and closed once the model is built.
     */
    TrainedRun open(Path run) {
        try (RegistrySource source = source()) {
            return TrainedRun.open(run, source);
        }
    }
}
