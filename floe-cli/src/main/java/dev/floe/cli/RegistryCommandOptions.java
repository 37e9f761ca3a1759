package dev.floe.cli;

import dev.floe.registry.RegistryLocation;
import dev.floe.registry.RegistrySource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --registry} and {@code --blobs} for commands that build configs, where
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
}
