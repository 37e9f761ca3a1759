package dev.floe.config;

import dev.floe.graph.ModelGraph;

/**
 * Where {@code model.components} entries written {@code {name: encoder, from: "registry:NAME@TAG"}}
 * come from. Implemented outside floe-core (by the component registry) and passed to
 * {@link dev.floe.run.Experiment#build(ExperimentConfig, java.nio.file.Path, ComponentSource)}.
 */
public interface ComponentSource {

    /**
     * The scheme of a {@code from} value this source resolves, e.g. {@code registry}.
     *
     * @return the scheme, without the colon
     */
    String scheme();

    /**
     * Resolves a reference to a component version.
     *
     * @return the resolved component version with its weights
     * @param ref the text after {@code scheme:}, e.g. {@code fmnist-encoder@prod} or {@code fmnist-encoder@3}
     * @param name the component's name in the graph being built (its parameter paths start with it)
     * @throws IllegalArgumentException naming the reference and the versions and tags that exist
     *     when it does not resolve, or the location and why when the source cannot be read
     */
    Resolved resolve(String ref, String name);

    /**
     * A resolved version.
     *
     * @param ref the reference as written, e.g. {@code fmnist-encoder@prod}
     * @param registryName the version's name in the source, e.g. {@code fmnist-encoder}
     * @param version its version number
     * @param weightsSha256 hex SHA-256 of its weights blob
     * @param weightsHash {@code sha256:<hex>} content hash of its parameters as the source records it
     * @param config the component's config (type and constructor keys) with {@code name} set to the
     *     requested name
     * @param weights loads its weights into the component of that name in a built graph
     */
    record Resolved(String ref, String registryName, int version, String weightsSha256, String weightsHash,
            ComponentConfig config, WeightLoader weights) {}

    /** Puts a resolved version's weights into a built graph. */
    @FunctionalInterface
    interface WeightLoader {
        /**
         * @param graph a graph holding a component named as requested, built from {@link Resolved#config()}
         * @throws IllegalArgumentException when the weights do not fit or cannot be read
         */
        void load(ModelGraph graph);
    }
}
